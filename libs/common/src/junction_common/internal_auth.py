"""The internal-call signature: how a service knows a call comes from the gateway, for whom, and for what.

The gateway signs, with the internal secret, the request id, the method and path, the caller's identity
and the time; a service accepts the call only when the signature matches that very request and is a
few seconds old. A header copied onto another path or method, replayed later, or with its identity
edited is refused.

Header: `X-Junction-Internal: v1;t=<unix seconds>;rid=<request id>;who=<base64url JSON>;sig=<hex>`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from junction_common.identity import Principal

HEADER = "X-Junction-Internal"
VERSION = "v1"
DEFAULT_TTL_S = 30.0


class InternalAuthError(Exception):
    """The internal signature is missing, malformed, stale or does not match this request."""


@dataclass(frozen=True)
class InternalCall:
    """A verified internal call: who the gateway called for, and under which request id."""

    principal: Principal | None
    request_id: str


def _who(principal: Principal | None) -> str:
    if principal is None:
        return ""
    raw = json.dumps({"w": principal.workspace_id, "k": principal.key_id, "r": principal.role,
                      "s": sorted(principal.scopes), "p": principal.plan}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _principal(who: str) -> Principal | None:
    if not who:
        return None
    data = json.loads(base64.urlsafe_b64decode(who + "=" * (-len(who) % 4)))
    return Principal(workspace_id=data["w"], key_id=data["k"], role=data["r"], scopes=frozenset(data["s"]),
                     plan=data["p"])


def _mac(secret: str, t: int, rid: str, method: str, path: str, who: str) -> str:
    message = f"{VERSION}\n{t}\n{rid}\n{method.upper()} {path}\n{who}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, request_id: str, method: str, path: str, principal: Principal | None,
         now: float | None = None) -> str:
    """The header value for one call of `method` `path` on behalf of `principal`."""
    t = int(time.time() if now is None else now)
    who = _who(principal)
    if ";" in request_id:
        raise ValueError("a request id cannot contain ';'")
    return f"{VERSION};t={t};rid={request_id};who={who};sig={_mac(secret, t, request_id, method, path, who)}"


def verify(secret: str, header: str | None, method: str, path: str, now: float | None = None,
           ttl_s: float = DEFAULT_TTL_S) -> InternalCall:
    """The verified call, or InternalAuthError; `path` is the path the service was called on."""
    if not header:
        raise InternalAuthError("missing internal signature")
    parts = header.split(";")
    fields = dict(part.split("=", 1) for part in parts[1:] if "=" in part)
    if parts[0] != VERSION or set(fields) != {"t", "rid", "who", "sig"}:
        raise InternalAuthError("malformed internal signature")
    try:
        t = int(fields["t"])
    except ValueError:
        raise InternalAuthError("malformed internal signature") from None
    current = time.time() if now is None else now
    if abs(current - t) > ttl_s:
        raise InternalAuthError("internal signature expired")
    expected = _mac(secret, t, fields["rid"], method, path, fields["who"])
    if not hmac.compare_digest(expected, fields["sig"]):
        raise InternalAuthError("internal signature does not match this request")
    try:
        principal = _principal(fields["who"])
    except (ValueError, KeyError, TypeError):
        raise InternalAuthError("malformed caller identity") from None
    return InternalCall(principal=principal, request_id=fields["rid"])

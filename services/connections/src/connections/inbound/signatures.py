"""Provider webhook signature schemes, each a small pure function over the raw request: the body bytes exactly as
received, the headers (names lower-cased), the URL the provider called, and the time now (seconds since the epoch).

`verify(scheme, ...)` answers None when the delivery is authentic, else a stable reason (`missing_signature`,
`bad_signature`, `stale_timestamp`, `no_secret`). Comparisons are constant-time; a timestamped scheme refuses a
delivery older or newer than `TOLERANCE_S` (replays).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

TOLERANCE_S = 300.0


@dataclass(frozen=True)
class Inbound:
    """One delivery as received: method, the public URL it was sent to, headers (lower-case names), raw body."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = field(repr=False)

    def header(self, name: str | None) -> str:
        return self.headers.get(name.lower(), "").strip() if name else ""


@dataclass(frozen=True)
class Signing:
    """What the manifest says (scheme and header) and the secret to verify with."""

    scheme: str
    header: str | None
    secret: str | None = field(default=None, repr=False)


def _mac(key: bytes, content: bytes, digest: str = "sha256") -> bytes:
    return hmac.new(key, content, digest).digest()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _key(signing: Signing) -> bytes:
    """The secret as HMAC key bytes; Airtable's `macSecretBase64` is given base64-encoded."""
    secret = signing.secret or ""
    if (signing.header or "").lower() == "x-airtable-content-mac":
        try:
            return base64.b64decode(secret, validate=True)
        except (binascii.Error, ValueError):
            return secret.encode()
    return secret.encode()


def _strip(value: str, *prefixes: str) -> str:
    for prefix in prefixes:
        if value.lower().startswith(prefix):
            return value[len(prefix):]
    return value


def _fresh(timestamp: str, now: float, millis: bool = False) -> bool:
    try:
        at = float(timestamp) / (1000.0 if millis else 1.0)
    except ValueError:
        return False
    return abs(now - at) <= TOLERANCE_S


def hmac_hex(signing: Signing, inbound: Inbound, now: float, digest: str = "sha256") -> str | None:
    """HMAC of the body, hex (`sha256=`/`sha1=`/`hmac-sha256=` prefixes allowed): Meta, WhatsApp, Linear, Asana,
    Airtable, Dropbox, Fireflies (SHA-256); Intercom (SHA-1, `sha1=`)."""
    given = _strip(inbound.header(signing.header), f"{digest}=", f"hmac-{digest}=")
    if not given:
        return "missing_signature"
    return None if _same(given.lower(), _mac(_key(signing), inbound.body, digest).hex()) else "bad_signature"


def github(signing: Signing, inbound: Inbound, now: float) -> str | None:
    """GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` (the prefix is required)."""
    given = inbound.header(signing.header or "X-Hub-Signature-256")
    if not given.startswith("sha256="):
        return "missing_signature"
    expected = "sha256=" + _mac(_key(signing), inbound.body).hex()
    return None if _same(given, expected) else "bad_signature"


def hmac_base64(signing: Signing, inbound: Inbound, now: float) -> str | None:
    """Base64 HMAC-SHA256 of the body (`sha256=` allowed): DocuSign, QuickBooks, Xero, Typeform. HubSpot's v3
    header signs method + URL + body + timestamp (`X-HubSpot-Request-Timestamp`, milliseconds) instead."""
    given = _strip(inbound.header(signing.header), "sha256=")
    if not given:
        return "missing_signature"
    content = inbound.body
    if (signing.header or "").lower() == "x-hubspot-signature-v3":
        timestamp = inbound.header("X-HubSpot-Request-Timestamp")
        if not _fresh(timestamp, now, millis=True):
            return "stale_timestamp"
        content = inbound.method.upper().encode() + inbound.url.encode() + inbound.body + timestamp.encode()
    expected = base64.b64encode(_mac(_key(signing), content)).decode()
    return None if _same(given, expected) else "bad_signature"


def stripe(signing: Signing, inbound: Inbound, now: float) -> str | None:
    """Stripe (and Calendly): `t=<unix>,v1=<hex>[,v1=...]`, each v1 an HMAC-SHA256 of `<t>.<body>`."""
    parts = [p.split("=", 1) for p in inbound.header(signing.header).split(",") if "=" in p]
    timestamp = next((v.strip() for k, v in parts if k.strip() == "t"), "")
    given = [v.strip() for k, v in parts if k.strip() == "v1"]
    if not timestamp or not given:
        return "missing_signature"
    if not _fresh(timestamp, now):
        return "stale_timestamp"
    expected = _mac(_key(signing), timestamp.encode() + b"." + inbound.body).hex()
    return None if any(_same(g, expected) for g in given) else "bad_signature"


def slack(signing: Signing, inbound: Inbound, now: float) -> str | None:
    """Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of v0:<timestamp>:<body>>`, `X-Slack-Request-Timestamp`."""
    given = inbound.header(signing.header or "X-Slack-Signature")
    timestamp = inbound.header("X-Slack-Request-Timestamp")
    if not given or not timestamp:
        return "missing_signature"
    if not _fresh(timestamp, now):
        return "stale_timestamp"
    expected = "v0=" + _mac(_key(signing), b"v0:" + timestamp.encode() + b":" + inbound.body).hex()
    return None if _same(given, expected) else "bad_signature"


def standard_webhooks(signing: Signing, inbound: Inbound, now: float) -> str | None:
    """Standard Webhooks: `webhook-signature: v1,<base64> ...` over `<webhook-id>.<webhook-timestamp>.<body>`, the
    secret `whsec_<base64 key>`."""
    msg_id, timestamp = inbound.header("webhook-id"), inbound.header("webhook-timestamp")
    given = [s.split(",", 1)[1] for s in inbound.header(signing.header or "webhook-signature").split()
             if s.startswith("v1,")]
    if not msg_id or not timestamp or not given:
        return "missing_signature"
    if not _fresh(timestamp, now):
        return "stale_timestamp"
    secret = (signing.secret or "").removeprefix("whsec_")
    try:
        key = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        key = secret.encode()
    expected = base64.b64encode(_mac(key, f"{msg_id}.{timestamp}.".encode() + inbound.body)).decode()
    return None if any(_same(g, expected) for g in given) else "bad_signature"


def token(signing: Signing, inbound: Inbound, now: float) -> str | None:
    """A shared secret sent as is: a header equal to it, `Bearer <it>`, or HTTP basic with it as the password
    (Pipedrive's HTTP auth)."""
    given = inbound.header(signing.header or "Authorization")
    if not given:
        return "missing_signature"
    if given.startswith("Basic "):
        try:
            given = base64.b64decode(given[6:], validate=True).decode().partition(":")[2]
        except (binascii.Error, ValueError):
            return "bad_signature"
    given = _strip(given, "bearer ")
    return None if _same(given, signing.secret or "") else "bad_signature"


def jwt_hs256(signing: Signing, inbound: Inbound, now: float) -> str | None:
    """A JWT signed HS256 with the shared secret (Atlassian Connect: `Authorization: JWT <token>`), not expired.
    Its query-string hash (`qsh`) is not checked."""
    given = _strip(_strip(inbound.header(signing.header or "Authorization"), "jwt "), "bearer ")
    pieces = given.split(".")
    if len(pieces) != 3:
        return "missing_signature"
    try:
        header = json.loads(_b64url(pieces[0]))
        claims = json.loads(_b64url(pieces[1]))
    except (binascii.Error, ValueError):
        return "bad_signature"
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(claims, dict):
        return "bad_signature"
    expected = base64.urlsafe_b64encode(_mac(_key(signing), f"{pieces[0]}.{pieces[1]}".encode())).rstrip(b"=")
    if not _same(pieces[2], expected.decode()):
        return "bad_signature"
    exp = claims.get("exp")
    return "stale_timestamp" if isinstance(exp, int | float) and exp + TOLERANCE_S < now else None


def _b64url(piece: str) -> bytes:
    return base64.urlsafe_b64decode(piece + "=" * (-len(piece) % 4))


def unsigned(signing: Signing, inbound: Inbound, now: float) -> str | None:
    """The provider signs nothing (Mailchimp): the token in the incoming URL is the only credential."""
    return None


SCHEMES: dict[str, Callable[[Signing, Inbound, float], str | None]] = {
    "hmac_sha256": hmac_hex,
    "hmac_sha1": lambda s, i, n: hmac_hex(s, i, n, "sha1"),
    "hmac_sha256_base64": hmac_base64,
    "github": github,
    "stripe": stripe,
    "slack": slack,
    "standard_webhooks": standard_webhooks,
    "token": token,
    "jwt": jwt_hs256,
    "none": unsigned,
}


def verify(signing: Signing, inbound: Inbound, now: float) -> str | None:
    """None when the delivery is authentic under the manifest's scheme, else why not."""
    if signing.scheme != "none" and not signing.secret:
        return "no_secret"
    return SCHEMES[signing.scheme](signing, inbound, now)

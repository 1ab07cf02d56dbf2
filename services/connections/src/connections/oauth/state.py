"""The OAuth `state`: signed, expiring, single use, bound to one workspace's pending connection.

`authorize` issues it; `callback`/`exchange` verify it before any code is exchanged. The token is
`base64url(claims JSON) "." base64url(HMAC-SHA256(key, claims))`; it carries no secret (the PKCE verifier
stays server side, named by `verifier_ref`). Checks run in this order, each with its own reason:
malformed, forged (signature), expired, wrong_workspace, wrong_provider, then replayed: a state presented
in another workspace is refused without being spent, so its rightful owner can still finish.
Single use is a MongoDB record keyed by the state's id, written with `insert_one` on first use: a
duplicate key is a replay, on every replica alike.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

Doc = dict[str, Any]
Reason = Literal["malformed", "forged", "expired", "wrong_workspace", "wrong_provider", "replayed"]
DEFAULT_TTL_S = 600.0  # the user has ten minutes to consent at the provider
_KEY_LABEL = b"junction.connections.oauth.state.v1"


class StateRefused(Exception):
    """The state cannot complete an authorization; `reason` says why (never echoes the token)."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(f"oauth state refused: {reason}")
        self.reason: Reason = reason


@dataclass(frozen=True)
class StateClaims:
    """What a state binds: the pending connection it completes and how its code must be exchanged."""

    state_id: str
    workspace_id: str
    connection_id: str
    provider: str
    redirect_uri: str
    verifier_ref: str | None  # where the PKCE verifier is kept (None when the provider has no PKCE)
    expires_at: float  # epoch seconds


def state_key(secret: str | bytes) -> bytes:
    """A key for states only, derived from a service secret (e.g. settings.signing_secret)."""
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, _KEY_LABEL, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class StateSigner:
    """Issues and checks states without storage (everything but single use)."""

    def __init__(self, key: bytes, ttl_s: float = DEFAULT_TTL_S, clock: Callable[[], float] = time.time) -> None:
        if len(key) < 32:
            raise ValueError("an oauth state key has at least 32 bytes")
        self._key, self.ttl_s, self._clock = key, ttl_s, clock

    def issue(self, *, workspace_id: str, connection_id: str, provider: str, redirect_uri: str,
              verifier_ref: str | None) -> tuple[str, StateClaims]:
        """A new state token and the claims it carries."""
        claims = StateClaims(secrets.token_urlsafe(16), workspace_id, connection_id, provider, redirect_uri,
                             verifier_ref, round(self._clock() + self.ttl_s, 3))
        body = _b64(json.dumps(asdict(claims), separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._sign(body)}", claims

    def check(self, token: str, *, workspace_id: str | None = None, provider: str | None = None) -> StateClaims:
        """The claims of a genuine, unexpired state bound as expected; StateRefused otherwise."""
        body, _, signature = token.partition(".")
        if not body or not signature or len(token) > 4096:
            raise StateRefused("malformed")
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            raise StateRefused("forged")
        claims = self._claims(body)
        if claims.expires_at <= self._clock():
            raise StateRefused("expired")
        if workspace_id is not None and claims.workspace_id != workspace_id:
            raise StateRefused("wrong_workspace")
        if provider is not None and claims.provider != provider:
            raise StateRefused("wrong_provider")
        return claims

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    @staticmethod
    def _claims(body: str) -> StateClaims:
        try:
            return StateClaims(**json.loads(_unb64(body)))
        except (binascii.Error, ValueError, TypeError) as exc:  # signed by us yet unreadable: a key reused elsewhere
            raise StateRefused("malformed") from exc


class OAuthStates:
    """States with single use enforced by a MongoDB collection shared by every replica."""

    def __init__(self, db: AsyncDatabase[Doc], signer: StateSigner, collection: str = "oauth_states_used") -> None:
        self.signer = signer
        self.used = db[collection]

    async def ensure_indexes(self) -> None:
        await self.used.create_index("expires_epoch")

    def issue(self, *, workspace_id: str, connection_id: str, provider: str, redirect_uri: str,
              verifier_ref: str | None) -> tuple[str, StateClaims]:
        return self.signer.issue(workspace_id=workspace_id, connection_id=connection_id, provider=provider,
                                 redirect_uri=redirect_uri, verifier_ref=verifier_ref)

    async def verify(self, token: str, *, workspace_id: str | None = None, provider: str | None = None) -> StateClaims:
        """Check the state and spend it: a second presentation anywhere is refused as replayed."""
        claims = self.signer.check(token, workspace_id=workspace_id, provider=provider)
        try:
            await self.used.insert_one({"_id": claims.state_id, "connection_id": claims.connection_id,
                                        "expires_epoch": claims.expires_at})
        except DuplicateKeyError as exc:
            raise StateRefused("replayed") from exc
        return claims

    async def sweep(self, now: float | None = None) -> int:
        """Forget spent states past their expiry (an expired state is refused before its record is read)."""
        result = await self.used.delete_many({"expires_epoch": {"$lt": time.time() if now is None else now}})
        return result.deleted_count

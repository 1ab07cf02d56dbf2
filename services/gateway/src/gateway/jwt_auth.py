"""JWT bearer tokens: HS256 with a shared secret, RS256/ES256 against a JWKS file or URL.

Issuer, audience and expiry are checked with bounded clock skew. Claims: `sub` (the user),
`workspace_id` (or `wid`), optional `role` (default MEMBER) and optional `scope` (space separated,
never more than the role grants).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import jwt

from gateway.settings import GatewaySettings
from junction_common.identity import ROLE_SCOPES, ROLES, Principal

MAX_LEEWAY_S = 300


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("ey")


class JwtVerifier:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self._jwks: jwt.PyJWKSet | None = None
        self._jwks_client = jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_jwks_url else None
        if settings.jwt_jwks_file:
            self._jwks = jwt.PyJWKSet.from_dict(json.loads(Path(settings.jwt_jwks_file).read_text()))

    @property
    def enabled(self) -> bool:
        return bool(self.settings.jwt_hs256_secret or self._jwks or self._jwks_client)

    async def _key_for(self, token: str) -> tuple[Any, list[str]]:
        alg = jwt.get_unverified_header(token).get("alg")
        if alg == "HS256" and self.settings.jwt_hs256_secret:
            return self.settings.jwt_hs256_secret, ["HS256"]
        if alg in ("RS256", "ES256"):
            kid = jwt.get_unverified_header(token).get("kid")
            if self._jwks is not None:
                for key in self._jwks.keys:
                    if kid is None or key.key_id == kid:
                        return key.key, [alg]
            if self._jwks_client is not None:
                signing = await asyncio.to_thread(self._jwks_client.get_signing_key_from_jwt, token)
                return signing.key, [alg]
        raise jwt.InvalidTokenError(f"no verification key for alg {alg}")

    async def verify(self, token: str) -> dict[str, Any] | None:
        """The token's claims when signature, issuer, audience and expiry hold; None otherwise."""
        try:
            key, algorithms = await self._key_for(token)
            options = {"require": ["exp", "sub"]}
            return jwt.decode(
                token, key, algorithms=algorithms, audience=self.settings.jwt_audience or None,
                issuer=self.settings.jwt_issuer or None, options=options,  # type: ignore[arg-type]
                leeway=min(self.settings.jwt_leeway_s, MAX_LEEWAY_S),
            )
        except (jwt.InvalidTokenError, ValueError, KeyError):
            return None


def principal_from_claims(claims: dict[str, Any], plan: str) -> Principal | None:
    workspace_id = claims.get("workspace_id") or claims.get("wid")
    role = str(claims.get("role", "MEMBER")).upper()
    if not isinstance(workspace_id, str) or role not in ROLES:
        return None
    granted = ROLE_SCOPES[role]
    requested = claims.get("scope")
    scopes = granted
    if isinstance(requested, str) and requested.strip():
        probe = Principal(workspace_id, "", role, granted)
        scopes = frozenset(s for s in requested.split() if probe.has_scope(s))
    return Principal(workspace_id, f"jwt:{claims['sub']}", role, scopes, plan)

"""Authentication (API keys as Bearer or x-api-key) and scope checks."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from typing import Annotated

import structlog
from fastapi import Depends, Request

from gateway.deps import ResourcesDep
from gateway.jwt_auth import looks_like_jwt, principal_from_claims
from junction_common.envelope import utcnow
from junction_common.identity import Principal
from junction_common.web.envelope import ApiError


def _credential(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return request.headers.get("x-api-key")


_CACHE: dict[str, tuple[float, Principal | None]] = {}
_CACHE_MAX = 10_000
_LOOKUPS: dict[str, asyncio.Future[Principal | None]] = {}  # lookups in flight, by credential digest


async def _jwt_principal(res: ResourcesDep, token: str) -> Principal | None:
    if not res.jwt.enabled:
        return None
    claims = await res.jwt.verify(token)
    if claims is None:
        return None
    workspace = await res.identity.get_workspace(str(claims.get("workspace_id") or claims.get("wid")))
    if workspace is None:
        return None
    return principal_from_claims(claims, workspace.get("plan", "free"))


def forget_key(key_id: str) -> None:
    """Drop a revoked key from this process's cache at once."""
    for digest, (_, principal) in list(_CACHE.items()):
        if principal is not None and principal.key_id == key_id:
            _CACHE.pop(digest, None)


async def _cached_principal(res: ResourcesDep, credential: str) -> Principal | None:
    """Key lookups are cached for `auth_cache_s` seconds: a revoked key stops working within that time.
    Requests that miss together share one lookup (when an entry ends, a busy key's concurrent requests would
    otherwise each look it up)."""
    digest = hashlib.sha256(credential.encode()).hexdigest()
    now = time.monotonic()
    hit = _CACHE.get(digest)
    if hit is not None and hit[0] > now:
        return hit[1]
    lookup = _LOOKUPS.get(digest)
    if lookup is None:
        lookup = _LOOKUPS[digest] = asyncio.ensure_future(_looked_up(res, credential, digest))
        lookup.add_done_callback(lambda _: _LOOKUPS.pop(digest, None))
    return await asyncio.shield(lookup)  # one caller going away does not cancel the others' lookup


async def _looked_up(res: ResourcesDep, credential: str, digest: str) -> Principal | None:
    if looks_like_jwt(credential):
        principal = await _jwt_principal(res, credential)
    else:
        principal = await res.identity.authenticate(credential, utcnow())
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[digest] = (time.monotonic() + res.settings.auth_cache_s, principal)
    return principal


async def authenticate(request: Request, res: ResourcesDep) -> Principal:
    """A valid credential is required: missing, unknown, revoked or expired keys are 401."""
    credential = _credential(request)
    if not credential:
        raise ApiError("UNAUTHORIZED", "A valid bearer token is required.",
                       headers={"WWW-Authenticate": "Bearer"})
    principal = await _cached_principal(res, credential)
    if principal is None:
        raise ApiError("UNAUTHORIZED", "The credential is invalid, revoked or expired.",
                       headers={"WWW-Authenticate": "Bearer"})
    structlog.contextvars.bind_contextvars(workspace_id=principal.workspace_id)
    request.state.principal = principal
    if not res.settings.rate_limit_enabled:
        return principal
    verdict = await res.limiter.check(principal.workspace_id, principal.plan)
    request.state.rate_headers = verdict.headers()
    if not verdict.allowed:
        raise ApiError("RATE_LIMITED", "The workspace exceeded the current rate limit.",
                       {"plan": principal.plan, "limit_per_minute": verdict.limit}, headers=verdict.headers())
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticate)]


# Every scope a route of this gateway requires (recorded as the routes are built); with the catalogue's, they
# are the scopes a key may be given (routes/api_keys.py).
REQUIRED_SCOPES: set[str] = set()


def require_scope(scope: str) -> Callable[..., Awaitable[Principal]]:
    """Dependency: the caller's key must carry `scope`."""
    REQUIRED_SCOPES.add(scope)

    async def check(principal: PrincipalDep) -> Principal:
        if not principal.has_scope(scope):
            raise ApiError("FORBIDDEN", "The token does not include the scope required for this operation.",
                           {"required_scope": scope})
        return principal

    check.__name__ = f"require_{scope.replace(':', '_')}"
    return check

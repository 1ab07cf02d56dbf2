"""API keys: create (shown once), list, revoke. A key never carries a scope its creator lacks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from gateway import audit
from gateway.auth import REQUIRED_SCOPES, forget_key, require_scope
from gateway.catalogue import load_operations
from gateway.context import request_id_of
from gateway.deps import ResourcesDep
from gateway.error_docs import ERROR_RESPONSES
from gateway.members import check_can_grant
from junction_common.envelope import utcnow
from junction_common.identity import Principal, grantable_scopes
from junction_common.timefmt import iso
from junction_common.web.envelope import ApiError, json_response, ok_body

router = APIRouter(prefix="/v1", tags=["API keys"], responses=ERROR_RESPONSES)
NO_STORE = {"Cache-Control": "no-store"}
_SCOPE = r"^(\*|[a-z_*]+(:[a-z_*]+|\.[a-z_]+))$"


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"name": "CI deploys", "scopes": ["crm:read"], "expires_at": "2027-01-01T00:00:00Z"}]})

    name: str = Field(min_length=1, max_length=100)
    scopes: list[Annotated[str, Field(pattern=_SCOPE, max_length=64)]] | None = Field(default=None, max_length=50)
    expires_at: datetime | None = None


def present_key(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["_id"], "name": doc["name"], "prefix": doc["prefix"], "role": doc["role"],
            "scopes": doc.get("scopes"), "created_at": iso(doc["created_at"]), "expires_at": iso(doc.get("expires_at")),
            "last_used_at": iso(doc.get("last_used_at")), "revoked_at": iso(doc.get("revoked_at"))}


def known_scopes() -> frozenset[str]:
    """What a key may carry: every scope an operation requires (catalogued or the gateway's own), and its forms."""
    return grantable_scopes({s for op in load_operations() for s in op.scopes} | REQUIRED_SCOPES)


def _check_scopes(principal: Principal, scopes: list[str] | None) -> None:
    """Unknown scopes are a VALIDATION_ERROR (a typo would otherwise grant nothing, silently); then a key never
    gets a scope its creator lacks."""
    if scopes is None:
        return
    known = known_scopes()
    unknown = [{"pointer": f"/scopes/{i}", "message": "unknown scope", "scope": s}
               for i, s in enumerate(scopes) if s not in known]
    if unknown:
        names = ", ".join(repr(u["scope"]) for u in unknown)
        raise ApiError("VALIDATION_ERROR", f"Unknown scope{'s' if len(unknown) > 1 else ''}: {names}.", unknown)
    lacking = [s for s in scopes if (s == "*" and "*" not in principal.scopes) or not principal.has_scope(s)]
    if lacking:
        raise ApiError("FORBIDDEN", "A key cannot be given scopes its creator lacks.", {"scopes": lacking})


@router.post("/api-keys", operation_id="createApiKey", status_code=201)
async def create_api_key(body: ApiKeyCreate, request: Request, res: ResourcesDep,
                         principal: Annotated[Principal, Depends(require_scope("api_keys:write"))]) -> Response:
    """Create a key with the caller's role and at most the caller's scopes; the key is in this response only."""
    _check_scopes(principal, body.scopes)
    if body.expires_at is not None and body.expires_at <= utcnow():
        raise ApiError("VALIDATION_ERROR", "expires_at must be in the future.",
                       [{"pointer": "/expires_at", "message": "must be in the future"}])
    scopes = body.scopes if body.scopes is not None else (
        None if "*" in principal.scopes else sorted(principal.scopes))
    key, doc = await res.identity.issue_key(principal.workspace_id, body.name, principal.role, scopes, utcnow(),
                                            body.expires_at, created_by=principal.key_id)
    await audit.record(res, principal, "api_key.created", doc["_id"], request_id_of(request))
    return json_response(ok_body({**present_key(doc), "key": key}, request_id_of(request)), 201, NO_STORE)


@router.get("/api-keys", operation_id="listApiKeys")
async def list_api_keys(request: Request, res: ResourcesDep,
                        principal: Annotated[Principal, Depends(require_scope("api_keys:read"))]) -> Response:
    """The workspace's keys (never the key itself); OWNER and ADMIN only."""
    check_can_grant(principal.role, "VIEWER")
    docs = await res.identity.list_keys(principal.workspace_id)
    return json_response(ok_body([present_key(d) for d in docs], request_id_of(request)), 200, NO_STORE)


@router.delete("/api-keys/{key_id}", operation_id="revokeApiKey")
async def revoke_api_key(key_id: Annotated[str, Path(max_length=64, pattern=r"^key_[a-z0-9]+$")],
                         request: Request, res: ResourcesDep,
                         principal: Annotated[Principal, Depends(require_scope("api_keys:write"))]) -> Response:
    """Revoke a key of this workspace; it stops working at once here and within seconds on other replicas."""
    check_can_grant(principal.role, "VIEWER")
    doc = await res.identity.revoke_key(principal.workspace_id, key_id, utcnow())
    if doc is None:
        raise ApiError("NOT_FOUND", "The API key could not be found.")
    forget_key(key_id)
    await audit.record(res, principal, "api_key.revoked", key_id, request_id_of(request))
    return json_response(ok_body(present_key(doc), request_id_of(request)), 200, NO_STORE)

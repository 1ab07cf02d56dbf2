"""Internal-only routes for Junction's own processes (no public path reaches them; only a SERVICE principal,
signed with the internal secret, is served):

- `POST /internal/runtime/webhook-tokens/resolve` body `{"token": "..."}`: whose inbound webhook token this is,
  for the sync service's `POST /api/pipelines/webhook/:token`. The token is the credential, so no workspace is
  known before the lookup: this route (and only this one) takes a SERVICE principal of workspace `*`. Answer 200
  `{"connection_id", "workspace_id", "status", "provider", "connector_type"}`, or 404 `{"error": "NOT_FOUND"}`
  for any token that is not a live connection's.
- `POST /internal/runtime/keys/rotate`: every sealed secret of this service (connections, tenant integrations,
  provider webhook subscriptions) re-wrapped under the vault's active key (`junction keys rotate`); SERVICE
  principal of workspace `*`. Answer `{"service", "active_key", "rotated", "current", "failed", "kinds": {kind:
  {"rotated", "current", "failed"}}}`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from connections.api.deps import PREFIX, Caller
from connections.app.key_rotation import KeyRotation
from connections.app.webhook_tokens import WebhookTokens
from connections_contracts.declarations import SERVICE
from junction_common.identity import Principal
from junction_common.logconfig import get_logger
from junction_common.web.envelope import request_id_of
from junction_common.web.peers import SERVICE_ROLE

log = get_logger(__name__)
ANY_WORKSPACE = "*"


class ResolveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=1, max_length=200)


def _refused(principal: Principal) -> Response | None:
    """Only a service acting for no particular workspace (`*`) may use these routes."""
    if principal.role == SERVICE_ROLE and principal.workspace_id == ANY_WORKSPACE:
        return None
    log.warning("runtime_route_refused", role=principal.role, key_id=principal.key_id)
    return JSONResponse({"error": "FORBIDDEN"}, status_code=403)


def router(tokens: WebhookTokens, rotation: KeyRotation) -> APIRouter:
    api = APIRouter(prefix=PREFIX + "/runtime")

    @api.post("/webhook-tokens/resolve")
    async def resolve_webhook_token(body: ResolveBody, principal: Caller) -> Response:
        """The live connection whose inbound webhook token this is (found by the token's hash), or 404."""
        if (refused := _refused(principal)) is not None:
            return refused
        doc = await tokens.resolve(body.token)
        if doc is None:
            return JSONResponse({"error": "NOT_FOUND"}, status_code=404)
        answer: dict[str, Any] = {"connection_id": doc["_id"], "workspace_id": doc["workspace_id"],
                                  "status": doc.get("status"), "provider": doc.get("provider"),
                                  "connector_type": doc.get("connector_type")}
        return JSONResponse(answer)

    @api.post("/keys/rotate")
    async def rotate_keys(request: Request, principal: Caller) -> Response:
        """Re-wrap every sealed secret of this service under the active vault key (old keys keep opening the
        rest until it is done)."""
        if (refused := _refused(principal)) is not None:
            return refused
        summary = await rotation.rotate(request_id_of(request) or "keys")
        return JSONResponse({"service": SERVICE, **summary})

    return api

"""pipelines-api.txt: Connection Variants (`POST /api/pipelines/connections/:id/variants`) and Reveal Webhook URL
(`POST /api/pipelines/connections/:id/webhook-url`), both for ADMIN or OWNER callers (the gateway checks the
role; checked here again), both answered with `Cache-Control: no-store` (each shows a webhook token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from connections.api.connection_views import pipelines_view
from connections.api.deps import PREFIX, Caller
from connections.app.operations import Call, Connections
from connections.app.variants import Variants
from connections.app.webhook_tokens import WebhookTokens
from connections_contracts import connection as cx
from connections_contracts.declarations import PIPELINES_BASE
from junction_common.identity import Principal
from junction_common.web.envelope import ApiError, json_response, request_id_of
from junction_common.web.pipelines_shape import PipelinesRoute

ConnectionId = Annotated[str, Path(max_length=64)]
ADMIN_ROLES = ("OWNER", "ADMIN")
NO_STORE = {"Cache-Control": "no-store"}


def admin(principal: Principal) -> None:
    if principal.role not in ADMIN_ROLES:
        raise ApiError("FORBIDDEN", "This operation requires the ADMIN or OWNER role.", status=403)


def router(connections: Connections, tokens: WebhookTokens) -> APIRouter:
    api = APIRouter(prefix=PREFIX + PIPELINES_BASE + "/connections", route_class=PipelinesRoute)
    variants = Variants(connections)

    @api.post("/{id}/variants")
    async def create_variant(id: ConnectionId, body: cx.VariantCreate, request: Request,
                             principal: Caller) -> Response:
        """A variant sharing the connection's credentials, in its variant group (made if need be); its own
        webhook token is shown in this answer."""
        admin(principal)
        source = await connections.find(principal.workspace_id, id)
        doc, token = await variants.create(Call(principal, request_id_of(request)), source, body)
        return json_response({"success": True, **pipelines_view(doc), "webhookToken": token.plain}, 201, NO_STORE)

    @api.post("/{id}/webhook-url")
    async def reveal_webhook_url(id: ConnectionId, request: Request, principal: Caller) -> Response:
        """The connection's webhook URL (VIEW_SECRET, audit-logged as an event); a legacy token is upgraded."""
        admin(principal)
        doc = await connections.find(principal.workspace_id, id)
        answer = await tokens.reveal(Call(principal, request_id_of(request)), doc)
        return json_response(answer, 200, NO_STORE)

    return api

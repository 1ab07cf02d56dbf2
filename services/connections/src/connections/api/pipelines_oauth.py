"""pipelines-api.txt, OAuth Authentication Flow: authorize (a DISCONNECTED connection and the provider's authorize
URL), the provider's redirect back (`callback`: no caller identity, the signed single-use state is the credential)
and the manual code paste (`exchange`, for the caller's workspace). Answers and errors in that reference's shape;
no answer holds a token, a code, a verifier or a client secret. The flow itself: connections.app.oauth_flow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from connections.api.connection_views import pipelines_view
from connections.api.deps import PREFIX, Caller
from connections.app.oauth_flow import OAuthFlow
from connections.app.operations import Call
from connections_contracts import connection as cx
from connections_contracts.declarations import PIPELINES_BASE
from junction_common.web.envelope import json_response, request_id_of
from junction_common.web.pipelines_shape import PipelinesRoute

Connector = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


def router(flow: OAuthFlow) -> APIRouter:
    api = APIRouter(prefix=PREFIX + PIPELINES_BASE + "/oauth", route_class=PipelinesRoute)

    @api.post("/{connector}/authorize")
    async def authorize(connector: Connector, body: cx.OAuthAuthorizeBody, request: Request,
                        principal: Caller) -> Response:
        """Start the flow: a DISCONNECTED connection and the URL to send the user to."""
        started = await flow.authorize(Call(principal, request_id_of(request)), connector, body)
        return json_response({"success": True, "authorizeUrl": started.authorize_url,
                              "connectionId": started.connection_id})

    @api.get("/{connector}/callback")
    async def callback(connector: Connector, request: Request,
                       query: Annotated[cx.OAuthCallbackQuery, Depends()]) -> Response:
        """The provider's redirect: the state is verified and spent, the code exchanged, the connection CONNECTED."""
        doc = await flow.callback(request_id_of(request), connector, query)
        return json_response({"success": True, "message": "Connection authorized", "connection": pipelines_view(doc)})

    @api.post("/{connector}/exchange")
    async def exchange(connector: Connector, body: cx.OAuthExchangeBody, request: Request,
                       principal: Caller) -> Response:
        """The manual code paste: the connection's state verified for the caller's workspace, the code exchanged."""
        doc = await flow.exchange(Call(principal, request_id_of(request)), connector, body)
        return json_response({"success": True, "message": "Connection authorized", "connection": pipelines_view(doc)})

    return api

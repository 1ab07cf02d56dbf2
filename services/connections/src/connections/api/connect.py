"""connect-api.txt: connect a provider with a key, its status, disconnect; in the `/connect/v1` envelope.

A workspace's connection of a provider is its latest live one (made here or through the other references):
connecting again gives it new credentials, disconnecting erases them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from connections.api.connection_views import status_view
from connections.api.deps import PREFIX, Caller
from connections.app import providers
from connections.app.operations import Call, Connections
from connections.catalogue.index import Catalogue
from connections_contracts.connection import ConnectBody
from connections_contracts.declarations import CONNECT_BASE
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of

ProviderType = Annotated[str, Path(max_length=64)]


def router(catalogue: Catalogue, connections: Connections) -> APIRouter:
    api = APIRouter(prefix=PREFIX + CONNECT_BASE + "/providers")

    @api.get("/{type}/status")
    async def provider_status(type: ProviderType, request: Request, principal: Caller) -> Response:
        """The workspace's connection status for a provider: CONNECTED, DISCONNECTED or ERROR."""
        providers.provider_of(catalogue, type)
        doc = await connections.of_provider(principal.workspace_id, type)
        return json_response(ok_body(status_view(type, doc), request_id_of(request)))

    @api.post("/{type}/connect")
    async def connect_provider(type: ProviderType, body: ConnectBody, request: Request,
                               principal: Caller) -> Response:
        """Connect an API-key provider: the credentials are sealed, tested, and the status answered."""
        manifest = providers.provider_of(catalogue, type)
        credentials = body.credentials.values()
        providers.takes_key(manifest, credentials)
        call = Call(principal, request_id_of(request))
        current = await connections.of_provider(principal.workspace_id, type)
        if current is None:
            doc = await connections.create(call, manifest, credentials,
                                           {"name": manifest.name, "connector_type": type.upper(), "origin": "connect"})
            return json_response(ok_body(status_view(type, doc), call.request_id), 201)
        doc = await connections.replace(call, current, manifest, credentials)
        return json_response(ok_body(status_view(type, doc), call.request_id))

    @api.delete("/{type}/disconnect")
    async def disconnect_provider(type: ProviderType, request: Request, principal: Caller) -> Response:
        """Disconnect a provider: its stored credentials are erased (the history stays)."""
        providers.provider_of(catalogue, type)
        current = await connections.of_provider(principal.workspace_id, type)
        if current is None:
            raise ApiError("NOT_FOUND", "The provider is not connected.", {"type": type})
        call = Call(principal, request_id_of(request))
        doc = await connections.disconnect(call, current)
        return json_response(ok_body(status_view(type, doc), call.request_id))

    return api

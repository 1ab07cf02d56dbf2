"""workflow-api.txt: credentials (list, create, delete) in the `/v1` envelope. A credential is a connection (one
concept, one resource): with a `provider` it is tested like any; without, it is a bare secret, stored CONNECTED
untested. Its value is sealed at once and never returned."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from connections.api.connection_views import credential_view
from connections.api.deps import PREFIX, Caller
from connections.app import providers
from connections.app.operations import Call, Connections
from connections.catalogue.index import Catalogue
from connections.catalogue.manifest import ApiKeyAuth, Manifest
from connections_contracts import connection as cx
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of
from junction_common.web.listing import list_page

CredentialId = Annotated[str, Path(max_length=64)]


def _fields(manifest: Manifest | None, value: str) -> dict[str, str]:
    """The value as the provider's first credential field (`apiKey`), or as `value` for a bare credential."""
    if manifest is None:
        return {"value": value}
    name = manifest.auth.fields[0].name if isinstance(manifest.auth, ApiKeyAuth) and manifest.auth.fields else "apiKey"
    return {name: value}


def router(catalogue: Catalogue, connections: Connections) -> APIRouter:
    api = APIRouter(prefix=PREFIX + "/v1/credentials")

    @api.get("")
    async def list_credentials(request: Request, principal: Caller,
                               query: Annotated[cx.CredentialListQuery, Depends()]) -> Response:
        """The workspace's credentials, newest first; secret values are never returned."""
        secret = connections.runtime.settings.signing_secret
        return await list_page(request, connections.db, principal, secret, {"deleted": False}, query.limit,
                               query.cursor, credential_view)

    @api.post("")
    async def create_credential(body: cx.CredentialCreate, request: Request, principal: Caller) -> Response:
        """Store a credential, sealed; tested against its provider when it names one."""
        manifest = None
        if body.provider is not None:
            manifest = catalogue.get(body.provider)
            if manifest is None:
                raise ApiError("VALIDATION_ERROR", "No provider of that type exists.",
                               {"pointer": "/provider", "provider": body.provider})
        credentials = _fields(manifest, body.value)
        if manifest is not None:
            providers.takes_key(manifest, credentials, "/value")
        record = {"name": body.name, "connector_type": manifest.type.upper() if manifest else None,
                  "origin": "credentials", "credential_type": body.type, "auth_type": body.type}
        doc = await connections.create(Call(principal, request_id_of(request)), manifest, credentials, record)
        return json_response(ok_body(credential_view(doc), request_id_of(request)), 201)

    @api.delete("/{id}")
    async def delete_credential(id: CredentialId, request: Request, principal: Caller) -> Response:
        """Delete a credential: its value is erased, its history kept."""
        doc = await connections.find(principal.workspace_id, id)
        await connections.delete(Call(principal, request_id_of(request)), doc)
        return json_response(ok_body({"id": id, "deleted": True}, request_id_of(request)))

    return api

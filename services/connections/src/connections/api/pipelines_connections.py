"""pipelines-api.txt: connections (list, create, get, update, delete, test without saving, check a saved one), in
its own shapes: `{"success": true, ...}`, lists with `pagination: {limit, offset, total, hasMore}`, errors as
`{"success": false, "code", "message"}`. Which provider a connector `type` means: connections.app.providers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from connections.api.connection_views import pipelines_view
from connections.api.deps import PREFIX, Caller
from connections.app import providers
from connections.app.operations import Call, Connections
from connections.catalogue.index import Catalogue
from connections.catalogue.manifest import Manifest
from connections_contracts import connection as cx
from connections_contracts.declarations import PIPELINES_BASE
from junction_common.web.envelope import json_response, request_id_of
from junction_common.web.pipelines_shape import PipelinesRoute

ConnectionId = Annotated[str, Path(max_length=64)]


def _provider_named(body: cx.PipelinesConnectionCreate | cx.PipelinesConnectionTest) -> str | None:
    return body.provider or (str((body.config or {}).get("provider") or "") or None)


def _ok(status: int = 200, **parts: Any) -> Response:
    return json_response({"success": True, **parts}, status)


def _settings(body: cx.PipelinesConnectionCreate | cx.PipelinesConnectionUpdate) -> dict[str, Any]:
    given = body.model_dump(exclude_unset=True, exclude={"credentials", "type", "provider"})
    if "notifyUserIds" in given:
        given["notify_user_ids"] = given.pop("notifyUserIds")
    return given


def router(catalogue: Catalogue, connections: Connections) -> APIRouter:
    api = APIRouter(prefix=PREFIX + PIPELINES_BASE + "/connections", route_class=PipelinesRoute)

    def manifest_of(doc: dict[str, Any]) -> Manifest | None:
        return catalogue.get(doc["provider"]) if doc.get("provider") else None

    @api.get("")
    async def list_connections(principal: Caller, query: Annotated[cx.PipelinesListQuery, Depends()]) -> Response:
        """The workspace's connections, newest first."""
        filt = {"workspace_id": principal.workspace_id, "deleted": False}
        total = await connections.db.count_documents(filt)
        docs = await connections.db.find(filt).sort("_id", -1).skip(query.offset).limit(query.limit).to_list()
        return _ok(connections=[pipelines_view(d) for d in docs],
                   pagination={"limit": query.limit, "offset": query.offset, "total": total,
                               "hasMore": query.offset + len(docs) < total})

    @api.post("")
    async def create_connection(body: cx.PipelinesConnectionCreate, request: Request, principal: Caller) -> Response:
        """A connection with encrypted credentials, tested once: CONNECTED, or ERROR with the reason."""
        manifest = providers.for_pipelines(catalogue, body.type, _provider_named(body))
        credentials = body.credentials.values()
        providers.takes_key(manifest, credentials)
        record = {**_settings(body), "connector_type": body.type, "origin": "pipelines"}
        doc = await connections.create(Call(principal, request_id_of(request)), manifest, credentials, record)
        return _ok(201, message="Connection created", connection=pipelines_view(doc))

    @api.post("/test")
    async def test_connection(body: cx.PipelinesConnectionTest, principal: Caller) -> Response:
        """Test credentials against the provider without saving anything."""
        manifest = providers.for_pipelines(catalogue, body.type, _provider_named(body))
        credentials = body.credentials.values()
        providers.takes_key(manifest, credentials)
        outcome = await connections.test(manifest, credentials)
        if outcome.status == cx.CONNECTED:
            return _ok(message="Connection successful")
        return json_response({"success": False, "message": outcome.error, "status": outcome.status})

    @api.get("/{id}")
    async def get_connection(id: ConnectionId, principal: Caller) -> Response:
        """One connection of the workspace."""
        return _ok(connection=pipelines_view(await connections.find(principal.workspace_id, id)))

    @api.put("/{id}")
    async def update_connection(id: ConnectionId, body: cx.PipelinesConnectionUpdate, request: Request,
                                principal: Caller) -> Response:
        """Change its name, config, schedule or notified users; new credentials are tested and replace the old."""
        call = Call(principal, request_id_of(request))
        doc = await connections.find(principal.workspace_id, id)
        if body.credentials is not None:
            manifest = manifest_of(doc)
            credentials = body.credentials.values()
            if manifest is not None:
                providers.takes_key(manifest, credentials)
            doc = await connections.replace(call, doc, manifest, credentials)
        doc = await connections.update(call, doc, _settings(body))
        return _ok(message="Connection updated", connection=pipelines_view(doc))

    @api.delete("/{id}")
    async def delete_connection(id: ConnectionId, request: Request, principal: Caller) -> Response:
        """Delete it: its credentials are erased, its history kept."""
        doc = await connections.find(principal.workspace_id, id)
        await connections.delete(Call(principal, request_id_of(request)), doc)
        return _ok(message="Connection deleted")

    @api.post("/{id}/check")
    async def check_connection(id: ConnectionId, request: Request, principal: Caller) -> Response:
        """Test the saved credentials again: the status, last error and check time are recorded."""
        doc = await connections.find(principal.workspace_id, id)
        doc = await connections.check(Call(principal, request_id_of(request)), doc, manifest_of(doc))
        healthy = doc.get("status") == cx.CONNECTED
        message = "Connection healthy" if healthy else doc.get("last_error")
        return json_response({"success": healthy, "message": message, "connection": pipelines_view(doc)})

    return api

"""Discover Streams: the connection's source asked for its catalog at once (its credentials from the connections
service, as for a run), shown as pipelines-api.txt documents it: each stream's name, fields and sync modes, and
the `aliases` it also answers to in a trigger (a CRM's unified `contacts`, `companies`, `deals`)."""

from __future__ import annotations

from typing import Any

from junction_common.web.envelope import ApiError
from junction_common.web.peers import PeerClient
from sync.app import runs_source as src
from sync.app import runs_streams
from sync.app.runs_execute import RunIO
from sync.runtime.refs import SourceFailed

Doc = dict[str, Any]


def stream_view(stream: Doc, aliases: list[str] | None = None) -> Doc:
    properties = (stream.get("json_schema") or {}).get("properties") or {}
    fields = [{"name": name, "type": _type(spec)} for name, spec in properties.items()]
    key = stream.get("source_defined_primary_key") or []
    return {"name": stream["name"], "fields": fields,
            "supportedSyncModes": list(stream.get("supported_sync_modes") or ["full_refresh"]),
            "primaryKey": [part[0] if isinstance(part, list) else part for part in key],
            "cursorField": (stream.get("default_cursor_field") or [None])[0], "aliases": aliases or []}


def _type(spec: Any) -> str:
    kind = spec.get("type") if isinstance(spec, dict) else None
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return str(kind or "string")


async def discover(io: RunIO, peers: PeerClient, workspace_id: str, connection_id: str) -> Doc:
    answer = await peers.call("GET", "connections", f"/runtime/connections/{connection_id}/source", workspace_id)
    if answer.status == 404:
        raise ApiError("NOT_FOUND", "The connection could not be found.", {"id": connection_id})
    if not answer.ok or not isinstance(answer.body, dict):
        body = answer.body if isinstance(answer.body, dict) else {}
        message = body.get("message") or (body.get("error") or {}).get("message")
        raise ApiError("VALIDATION_ERROR", str(message or "The connection's source is not available."),
                       {"id": connection_id})
    ref = src.source_ref(answer.body, io.build_manifest)
    try:
        catalog = await io.source.discover(ref, answer.body["config"])
    except SourceFailed as exc:
        raise ApiError("VALIDATION_ERROR", f"The source could not list its streams: {exc.message}",
                       {"id": connection_id}) from None
    names = runs_streams.names_of(answer.body.get("provider") or {})
    return {"streams": [stream_view(s, [alias for alias, own in names.items() if own == s["name"] != alias])
                        for s in catalog.get("streams", [])]}

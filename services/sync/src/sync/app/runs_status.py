"""A connection's sync status (Junction's own `GET /api/pipelines/connections/:id/streams`): each stream's table and
whether it is paused (its table holds a schema change for approval under the `pause` policy), the connection
`PAUSED` while any stream is, and its run in progress and last run."""

from __future__ import annotations

from typing import Any

from junction_common.service import ServiceRuntime
from sync.app.runs_views import run_view
from sync.tables.targets import table_target
from sync_contracts import runs as rx
from sync_contracts import tables as tx

Doc = dict[str, Any]
RUNS_LOOKED_AT = 20  # the recent runs whose streams name the connection's tables


def stream_status(stream: str, table: Doc) -> Doc:
    held = table.get("pending_schema_change")
    return {"name": stream, "table": table.get("slug"), "status": "PAUSED" if held else "ACTIVE",
            "pendingSchemaChange": held}


async def connection_status(runtime: ServiceRuntime, workspace_id: str, connection: Doc) -> Doc:
    """The connection's streams (by their tables), paused or active, and its runs in progress and last."""
    connection_id = str(connection["_id"])
    runs = await runtime.db[rx.RUNS].find({"workspace_id": workspace_id, "connection_id": connection_id}).sort(
        "created_ts", -1).limit(RUNS_LOOKED_AT).to_list()
    streams = {name for run in runs for name in (run.get("stream_results") or {})}
    slugs = {table_target({**connection, "id": connection_id}, name).slug: name for name in streams}
    query = {"workspace_id": workspace_id, "deleted": {"$ne": True},
             "$or": [{"connection_id": connection_id}, {"slug": {"$in": sorted(slugs)}}]}
    tables = await runtime.db[tx.TABLES].find(query).sort("slug", 1).to_list()
    shown = [stream_status(slugs.get(t["slug"]) or t.get("stream") or t["slug"], t) for t in tables]
    paused = [s["name"] for s in shown if s["status"] == "PAUSED"]
    active = next((r for r in runs if r["status"] in rx.ACTIVE), None)
    last = next((r for r in runs if r["status"] in rx.FINISHED), None)
    return {"connectionId": connection_id, "status": "PAUSED" if paused else "ACTIVE", "pausedStreams": paused,
            "streams": shown, "runningRunId": active["_id"] if active else None,
            "lastRun": run_view(last) if last else None}

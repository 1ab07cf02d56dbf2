"""Junction's own run operations (not in the references; declared with their routes in sync_contracts.routes):
the cursor history and its restore, a one-stream refresh or backfill, the connection's stream status, and the run
notifications. In
pipelines-api.txt's shapes, as the documented operations beside them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from junction_common.service import ServiceRuntime
from junction_common.web.envelope import json_response, request_id_of
from junction_common.web.pipelines_shape import PipelinesRoute, pipelines_error
from sync.api.pipelines_runs import Caller, ConnectionId, actor_of
from sync.app import runs_cursors, runs_status, runs_streams
from sync.app.runs import Runs
from sync.app.runs_views import notification_view, pagination, run_view
from sync.app.runs_worker import RunWorker
from sync_contracts import runs as rx
from sync_contracts.declarations import PIPELINES_BASE


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/internal" + PIPELINES_BASE, route_class=PipelinesRoute)
    runs = Runs(runtime)

    @api.get("/connections/{id}/cursors")
    async def cursor_history(id: ConnectionId, principal: Caller,
                             query: Annotated[rx.RunListQuery, Depends()]) -> Response:
        """Every position of the connection's cursor history, newest first (a version can be restored)."""
        await runs.connection(principal.workspace_id, id)
        _, events = await runs_cursors.current(runtime, id)
        return json_response(runs_cursors.history_view(events, query.limit, query.offset))

    @api.post("/connections/{id}/cursors/restore")
    async def restore_cursors(id: ConnectionId, body: rx.CursorRestore, request: Request,
                              principal: Caller) -> Response:
        """Every stream's cursor as it stood at `version` of the history."""
        await runs.connection(principal.workspace_id, id)
        return json_response(await runs_cursors.restore(runtime, principal.workspace_id, id, body.version,
                                                        actor_of(principal), request_id_of(request)))

    @api.post("/connections/{id}/streams/{stream}/refresh")
    async def refresh_stream(id: ConnectionId, stream: Annotated[str, Path(max_length=200)], body: rx.StreamRefresh,
                             request: Request, principal: Caller) -> Response:
        """Sync one stream again: from nothing (a full refresh) or from `since` (a backfill)."""
        await runs.connection(principal.workspace_id, id)
        held = await runs.locks.find_one({"_id": id})
        if held is not None:
            return pipelines_error("CONFLICT", "A sync is already in progress for this connection.", 409,
                                   {"runId": held.get("run_id")})
        actor, rid = actor_of(principal), request_id_of(request)
        await runs_streams.checked(runtime.component(RunWorker).peers, principal.workspace_id, id, [stream])
        await runs_cursors.clear_stream(runtime, principal.workspace_id, id, stream, body.since, actor, rid)
        triggered = await runs.trigger(principal.workspace_id, id, "BACKFILL", actor, streams=[stream],
                                       full_refresh=[stream] if body.since is None else [], request_id=rid)
        if triggered.run is None:
            return pipelines_error("CONFLICT", "A sync is already in progress for this connection.", 409,
                                   {"runId": triggered.running_id})
        return json_response({"success": True, "message": "Sync triggered", "run": run_view(triggered.run)}, 201)

    @api.get("/connections/{id}/streams")
    async def stream_status(id: ConnectionId, principal: Caller) -> Response:
        """The connection's streams, each ACTIVE or PAUSED (its table holds a schema change for approval)."""
        connection = await runs.connection(principal.workspace_id, id)
        return json_response(await runs_status.connection_status(runtime, principal.workspace_id, connection))

    @api.get("/notifications")
    async def list_notifications(principal: Caller,
                                 query: Annotated[rx.NotificationListQuery, Depends()]) -> Response:
        """The workspace's run notifications, newest first (`userId`: those that user receives)."""
        filt: dict[str, object] = {"workspace_id": principal.workspace_id}
        if query.userId is not None:
            filt["excluded"] = {"$ne": query.userId}
            filt["$or"] = [{"all_members": True}, {"recipients": query.userId}]
        docs = [d async for d in runtime.db[rx.NOTIFICATIONS].find(filt).sort("created_ts", -1)]
        shown = docs[query.offset:query.offset + query.limit]
        return json_response({"notifications": [notification_view(d) for d in shown],
                              "pagination": pagination(query.limit, query.offset, len(docs), len(shown))})

    return api

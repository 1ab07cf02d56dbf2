"""pipelines-api.txt's sync operations, in its own shapes: discover, trigger / list / stop runs, reset a cursor,
cron, run-all and the webhook-token trigger (errors `{"success": false, "code", "message"}`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from junction_common.envelope import Actor
from junction_common.identity import Principal
from junction_common.internal_api import caller
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError, json_response, request_id_of
from junction_common.web.pipelines_shape import PipelinesRoute, pipelines_error
from sync.app import runs_connections, runs_cursors, runs_discover, runs_streams, scheduler
from sync.app.runs import Runs
from sync.app.runs_views import pagination, run_view
from sync.app.runs_worker import RunWorker
from sync.projections.runs_facts import INTEGRATION
from sync_contracts import runs as rx
from sync_contracts.declarations import PIPELINES_BASE

Caller = Annotated[Principal, Depends(caller)]
ConnectionId = Annotated[str, Path(max_length=64)]
RunId = Annotated[str, Path(max_length=64)]


def actor_of(principal: Principal) -> Actor:
    return Actor(kind="api_key", id=principal.key_id)


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/internal" + PIPELINES_BASE, route_class=PipelinesRoute)
    runs = Runs(runtime)

    @api.post("/connections/{id}/discover")
    async def discover_streams(id: ConnectionId, principal: Caller) -> Response:
        """The connection's streams with their fields and supported sync modes."""
        await runs.connection(principal.workspace_id, id)
        worker = runtime.component(RunWorker)
        return json_response(await runs_discover.discover(worker.io, worker.peers, principal.workspace_id, id))

    @api.post("/connections/{id}/runs")
    async def trigger_run(id: ConnectionId, body: rx.RunTrigger, request: Request, principal: Caller) -> Response:
        """A run of the connection (its streams, or those named: a name the provider has neither as a stream nor
        as an alias is refused at once); refused while one is PENDING or RUNNING."""
        await runs_streams.checked(runtime.component(RunWorker).peers, principal.workspace_id, id,
                                   body.streams or [])
        triggered = await runs.trigger(principal.workspace_id, id, "MANUAL", actor_of(principal),
                                       streams=body.streams, request_id=request_id_of(request))
        if triggered.run is None:
            return pipelines_error("CONFLICT", "A sync is already in progress for this connection.", 409,
                                   {"runId": triggered.running_id})
        return json_response({"success": True, "message": "Sync triggered", "run": run_view(triggered.run)}, 201)

    @api.get("/connections/{id}/runs")
    async def list_runs(id: ConnectionId, principal: Caller, query: Annotated[rx.RunListQuery, Depends()]
                        ) -> Response:
        """The connection's runs, newest first."""
        await runs.connection(principal.workspace_id, id)
        filt = {"workspace_id": principal.workspace_id, "connection_id": id}
        total = await runs.runs.count_documents(filt)
        docs = await runs.runs.find(filt).sort("created_ts", -1).skip(query.offset).limit(query.limit).to_list()
        return json_response({"runs": [run_view(d) for d in docs],
                              "pagination": pagination(query.limit, query.offset, total, len(docs))})

    @api.post("/connections/{id}/runs/{runId}")
    async def stop_run(id: ConnectionId, runId: RunId, request: Request, principal: Caller) -> Response:
        """Stop the run: CANCELLED within one page (a finished run is left as it ended)."""
        doc = await runs.stop(principal.workspace_id, id, runId, actor_of(principal), request_id_of(request))
        stopped = doc["status"] == rx.CANCELLED
        message = "Sync stopped" if stopped else f"The sync run is {doc['status']}"
        return json_response({"success": stopped or doc["status"] in rx.FINISHED, "message": message,
                              "run": run_view(doc)})

    @api.patch("/connections/{id}")
    async def reset_cursor(id: ConnectionId, body: rx.CursorReset, request: Request, principal: Caller) -> Response:
        """Set a stream's cursor to a date, or clear every cursor (`null`: the next sync is a full resync)."""
        await runs.connection(principal.workspace_id, id)
        return json_response(await runs_cursors.reset(runtime, principal.workspace_id, id, body,
                                                      actor_of(principal), request_id_of(request)))

    @api.get("/cron")
    async def run_scheduled(principal: Caller) -> Response:
        """Trigger the workspace's due schedules; already-running syncs are skipped."""
        return json_response((await scheduler.run_due(runtime, principal.workspace_id)).answer())

    @api.post("/run-all")
    async def run_all(request: Request, principal: Caller) -> Response:
        """A run of every connection of the workspace, skipping those with a PENDING or RUNNING run."""
        run_ids, skipped = [], 0
        made = await runs_connections.listed(runtime.component(RunWorker).peers, principal.workspace_id,
                                             request_id_of(request))
        await runs.caught_up(principal.workspace_id, made)
        query = {"workspace_id": principal.workspace_id, "deleted": {"$ne": True}, "status": {"$ne": "DISCONNECTED"},
                 "provider": {"$ne": None}, "kind": {"$ne": INTEGRATION}}  # a bare workflow credential has nothing
        # to sync; a tenant integration is not a pipelines connection (it syncs through the integrations API)
        async for connection in runs.connections.find(query).sort("created_ts", 1):
            triggered = await runs.trigger(principal.workspace_id, connection["_id"], "RUN_ALL", actor_of(principal),
                                           request_id=request_id_of(request))
            if triggered.run is None:
                skipped += 1
            else:
                run_ids.append(triggered.run["_id"])
        message = f"Enqueued {len(run_ids)} sync(s), {skipped} already in progress"
        return json_response({"runIds": run_ids, "count": len(run_ids), "message": message}, 201)

    @api.post("/webhook/{token}")
    async def webhook_trigger(token: Annotated[str, Path(min_length=8, max_length=200)],
                              request: Request) -> Response:
        """A run of the connection the webhook token belongs to (the token is the credential)."""
        worker = runtime.component(RunWorker)
        answer = await worker.peers.call("POST", "connections", "/runtime/webhook-tokens/resolve", "*",
                                         body={"token": token}, request_id=request_id_of(request) or None)
        if not answer.ok or not isinstance(answer.body, dict) or "connection_id" not in answer.body:
            raise ApiError("NOT_FOUND", "The webhook token is not known.")
        actor = Actor(kind="webhook_token", id=answer.body["connection_id"])
        triggered = await runs.trigger(answer.body["workspace_id"], answer.body["connection_id"], "WEBHOOK", actor,
                                       request_id=request_id_of(request))
        message = "Sync triggered" if triggered.run is not None else "Sync already in progress"
        return json_response({"success": True, "message": message}, 202)

    return api

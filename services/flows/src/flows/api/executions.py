"""workflow-api.txt, Workflow Execution: execute (answers the execution id at once), get an execution (status,
output, logs), list a workflow's executions (status, from/to) and list executions (cursor pages)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from flows.api.executions_views import LIST_FIELDS, execution_filter, execution_view
from flows.api.workflows import find_workflow
from flows.engine.cancel import cancel_execution
from flows.engine.engine import Engine
from flows.engine.starts import start_execution
from flows_contracts import executions as ex
from flows_contracts.declarations import WORKFLOW_BASE
from junction_common.envelope import Actor
from junction_common.identity import Principal
from junction_common.internal_api import caller
from junction_common.service import ServiceRuntime
from junction_common.web.cursors import decode_cursor, encode_cursor
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of

Caller = Annotated[Principal, Depends(caller)]
Id = Annotated[str, Path(max_length=64)]
Doc = dict[str, Any]


async def cursor_page(runtime: ServiceRuntime, request: Request, principal: Principal, filt: Doc,
                      query: ex.ExecutionListQuery) -> Response:
    """Newest first; the signed cursor holds the last id seen. `meta` has next_cursor and has_more."""
    secret = runtime.settings.signing_secret
    if query.cursor:
        position = decode_cursor(query.cursor, secret)
        if position.get("ws") == principal.workspace_id:
            filt = {**filt, "_id": {"$lt": str(position.get("after", ""))}}
    coll = runtime.db[ex.COLLECTION]
    skip = (query.page - 1) * query.limit if query.page and not query.cursor else 0
    docs = await coll.find(filt, LIST_FIELDS).sort("_id", -1).skip(skip).limit(query.limit + 1).to_list()
    page, more = docs[: query.limit], len(docs) > query.limit
    after = encode_cursor({"after": page[-1]["_id"], "ws": principal.workspace_id}, secret) if more else None
    meta = {"limit": query.limit, "next_cursor": after, "has_more": more}
    return json_response(ok_body([execution_view(d) for d in page], request_id_of(request), meta, after))


def _key(principal: Principal, workflow_id: str, request_id: str) -> str | None:
    """A request's start key: its request id, scoped to the workspace and workflow."""
    return f"execute:{principal.workspace_id}:{workflow_id}:{request_id}" if request_id else None


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/internal" + WORKFLOW_BASE)
    executions = runtime.db[ex.COLLECTION]

    @api.post("/workflows/{id}/execute")
    async def execute_workflow(id: Id, body: ex.ExecuteBody, request: Request, principal: Caller) -> Response:
        """Start the workflow (its published version) with `input` as trigger data; the execution id at once."""
        await find_workflow(runtime, principal, id)
        started = await start_execution(runtime, principal.workspace_id, id,
                                        trigger={"type": "manual", "data": body.input}, source="api",
                                        idempotency_key=_key(principal, id, request_id_of(request)),
                                        actor=Actor(kind="api_key", id=principal.key_id))
        return json_response(ok_body(started, request_id_of(request)))

    @api.get("/executions/{id}")
    async def get_execution(id: Id, request: Request, principal: Caller) -> Response:
        """An execution: status, times, output, error and logs."""
        doc = await executions.find_one({"_id": id}, {"steps": 0})
        if doc is None or doc.get("workspace_id") != principal.workspace_id:
            raise ApiError("NOT_FOUND", "The execution could not be found.", {"id": id})
        return json_response(ok_body(execution_view(doc, logs=True), request_id_of(request)))

    @api.post("/executions/{id}/cancel")
    async def cancel(id: Id, request: Request, principal: Caller) -> Response:
        """Cancel a running execution: nothing more of it runs; one that already ended is a 422."""
        await cancel_execution(runtime.component(Engine), principal.workspace_id, id, "cancelled through the API",
                               Actor(kind="api_key", id=principal.key_id))
        return json_response(ok_body({"id": id, "status": ex.CANCELLED}, request_id_of(request)))

    @api.get("/workflows/{id}/executions")
    async def list_workflow_executions(id: Id, request: Request, principal: Caller,
                                       query: Annotated[ex.ExecutionListQuery, Query()]) -> Response:
        """A workflow's executions, newest first, by status and start time (from/to)."""
        await find_workflow(runtime, principal, id)
        filt = execution_filter(principal.workspace_id, query.status, query.from_, query.to, id)
        return await cursor_page(runtime, request, principal, filt, query)

    @api.get("/executions")
    async def list_executions(request: Request, principal: Caller,
                              query: Annotated[ex.ExecutionListQuery, Query()]) -> Response:
        """Every execution of the workspace, newest first, in cursor pages."""
        filt = execution_filter(principal.workspace_id, query.status, query.from_, query.to)
        return await cursor_page(runtime, request, principal, filt, query)

    return api

"""connect-api.txt, Flow execution control: a flow's executions, an execution's steps, replay of an execution
(and, Junction's own, replay of every failed execution of a flow in a time range), and a test run of the flow's
draft with given trigger data, answered with its step results once it ends. camelCase, `/connect/v1` envelope."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from flows.api.executions_replay import replay, replay_failed
from flows.api.executions_views import LIST_FIELDS, camel, execution_filter, execution_view, step_view
from flows.api.workflows import find_workflow
from flows.engine.engine import Engine
from flows.engine.starts import execution_id_for, start_execution
from flows.projections.executions import unpacked
from flows_contracts import executions as ex
from flows_contracts.declarations import CONNECT_BASE
from junction_common.envelope import Actor
from junction_common.identity import Principal
from junction_common.internal_api import caller
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of

Caller = Annotated[Principal, Depends(caller)]
Id = Annotated[str, Path(max_length=64)]
Doc = dict[str, Any]
TEST_TIMEOUT_S = 30.0


async def json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError("VALIDATION_ERROR", "The body is not JSON.", {"pointer": ""}) from exc


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/internal" + CONNECT_BASE + "/flows/{id}")
    executions = runtime.db[ex.COLLECTION]

    async def one(principal: Principal, flow_id: str, execution_id: str) -> Doc:
        doc = await executions.find_one({"_id": execution_id})
        if doc is None or doc.get("workspace_id") != principal.workspace_id or doc.get("workflow_id") != flow_id:
            raise ApiError("NOT_FOUND", "The execution could not be found.", {"id": execution_id})
        return unpacked(doc)

    @api.get("/executions")
    async def list_flow_executions(id: Id, request: Request, principal: Caller,
                                   query: Annotated[ex.TaskHistoryQuery, Query()]) -> Response:
        """The flow's executions, newest first, in pages (status, from/to)."""
        await find_workflow(runtime, principal, id)
        filt = execution_filter(principal.workspace_id, query.status, query.from_, query.to, id)
        total = await executions.count_documents(filt)
        docs = await executions.find(filt, LIST_FIELDS).sort("_id", -1).skip((query.page - 1) * query.limit) \
            .limit(query.limit).to_list()
        meta = {"page": query.page, "limit": query.limit, "total": total}
        return json_response(ok_body([camel(execution_view(d)) for d in docs], request_id_of(request), meta))

    @api.get("/executions/{executionId}/steps")
    async def list_flow_execution_steps(id: Id, executionId: Id, request: Request,
                                        principal: Caller) -> Response:
        """Every step of the execution in the order it ran: input, output, error, attempt, duration."""
        doc = await one(principal, id, executionId)
        steps = [step_view(s) for s in doc.get("steps") or []]
        return json_response(ok_body(steps, request_id_of(request), {"executionId": executionId,
                                                                    "status": doc.get("status")}))

    @api.post("/executions/{executionId}/replay")
    async def replay_flow_execution(id: Id, executionId: Id, request: Request,
                                    principal: Caller) -> Response:
        """Replay as a new execution: from the start, or from `fromStep` keeping earlier outputs."""
        try:
            body = ex.ReplayBody.model_validate(await json_body(request))
        except ValidationError as exc:
            raise ApiError("VALIDATION_ERROR", "The replay body is not valid.", {"errors": exc.errors(
                include_url=False, include_context=False)}) from exc
        started = await replay(runtime, principal, id, executionId, body, request_id_of(request) or None)
        return json_response(ok_body(camel(started), request_id_of(request)), 202)

    @api.post("/executions/replay-failed")
    async def replay_failed_executions(id: Id, body: ex.BulkReplayBody, request: Request,
                                       principal: Caller) -> Response:
        """Replay from the start every failed execution of the flow started between `from` and `to`."""
        await find_workflow(runtime, principal, id)
        filt = execution_filter(principal.workspace_id, ex.FAILED, body.from_, body.to, id)
        started = await replay_failed(runtime, principal, id, filt, body.version, request_id_of(request) or None)
        data = {"count": len(started), "executions": [camel(s) for s in started]}
        return json_response(ok_body(data, request_id_of(request)), 202)

    @api.post("/test")
    async def test_flow(id: Id, request: Request, principal: Caller) -> Response:
        """Run the flow's draft with the body as trigger data; its step results once it ends (or 30 s)."""
        await find_workflow(runtime, principal, id)
        data = await json_body(request)
        engine = runtime.component(Engine)
        rid = request_id_of(request)
        key = f"test:{principal.workspace_id}:{id}:{rid}" if rid else None
        execution_id = execution_id_for(key)
        done = engine.expect(execution_id)
        try:
            await start_execution(runtime, principal.workspace_id, id, trigger={"type": "test", "data": data},
                                  source="test", idempotency_key=key, draft=True,
                                  test=True, actor=Actor(kind="api_key", id=principal.key_id),
                                  execution_id=execution_id)
            outcome = await asyncio.wait_for(done, TEST_TIMEOUT_S)
        except TimeoutError:
            outcome = None
        finally:
            engine.forget(execution_id)
        return json_response(ok_body(await test_result(runtime, execution_id, outcome), request_id_of(request)))

    return api


async def test_result(runtime: ServiceRuntime, execution_id: str, outcome: Any) -> Doc:
    """The test run's status, output, error and step results, from its events (the read model may lag)."""
    events, _ = await runtime.store.load(execution_id)
    steps = [{"step": e.data["step"], "nodeId": e.data["node_id"], "nodeType": e.data["node_type"],
              "status": "succeeded" if e.type == "step.succeeded" else "failed", "attempt": e.data["attempt"],
              "output": e.data.get("output"), "error": e.data.get("error"), "durationMs": e.data.get("duration_ms")}
             for e in events if e.type in ("step.succeeded", "step.failed")]
    status = outcome.status if outcome is not None else ex.RUNNING
    return {"executionId": execution_id, "status": status, "output": getattr(outcome, "output", None),
            "error": getattr(outcome, "error", None), "steps": steps}

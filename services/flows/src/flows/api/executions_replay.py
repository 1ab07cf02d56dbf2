"""Replay: a new execution linked to the original (`replay_of`), from the start or from a named step with the
original's earlier steps' recorded outputs, optionally with an edited trigger payload, on the version the
original ran or the workflow's current one; and the bulk replay of every failed execution of a flow started
in a time range."""

from __future__ import annotations

from typing import Any

from flows.domain.execution import recorded_before
from flows.engine.starts import find_workflow, runnable, start_execution
from flows_contracts import executions as ex
from junction_common.envelope import Actor
from junction_common.identity import Principal
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError

Doc = dict[str, Any]
BULK_LIMIT = 500


async def replay(runtime: ServiceRuntime, principal: Principal, flow_id: str, execution_id: str,
                 body: ex.ReplayBody, key: str | None) -> Doc:
    """Start the replay of one execution of the flow; its summary."""
    events, _ = await runtime.store.load(execution_id)
    if not events or events[0].workspace_id != principal.workspace_id or \
            events[0].data.get("workflow_id") != flow_id:
        raise ApiError("NOT_FOUND", "The execution could not be found.", {"id": execution_id})
    original = events[0].data
    recorded: dict[str, Any] = {}
    if body.fromStep:
        found = recorded_before(events, body.fromStep)
        if found is None:
            raise ApiError("VALIDATION_ERROR", f"The execution never reached the step {body.fromStep!r}.",
                           {"pointer": "/fromStep", "step": body.fromStep})
        recorded = found
    trigger = dict(original.get("trigger") or {})
    if body.triggerData is not None:
        trigger = {**trigger, "data": body.triggerData}
    if body.version == "original":
        graph = (int(original["version"]), bool(original.get("draft")), dict(original["definition"]))
    else:
        graph = runnable(await find_workflow(runtime, principal.workspace_id, flow_id), draft=False)
    started = await start_execution(
        runtime, principal.workspace_id, flow_id, trigger=trigger, source=f"replay:{execution_id}",
        idempotency_key=f"replay:{principal.workspace_id}:{execution_id}:{key}" if key else None,
        actor=Actor(kind="api_key", id=principal.key_id), graph=graph,
        replay={"replay_of": execution_id, "replay_from": body.fromStep, "recorded": recorded})
    return {**started, "replay_of": execution_id, "replay_from": body.fromStep}


async def replay_failed(runtime: ServiceRuntime, principal: Principal, flow_id: str, filt: Doc,
                        version: str, key: str | None) -> list[Doc]:
    """Replay from the start every failed execution matching `filt` (at most BULK_LIMIT at once)."""
    docs = await runtime.db[ex.COLLECTION].find(filt, {"_id": 1}).sort("_id", 1).limit(BULK_LIMIT).to_list()
    body = ex.ReplayBody(version="current" if version == "current" else "original")
    return [await replay(runtime, principal, flow_id, d["_id"], body, f"{key}:{d['_id']}" if key else None)
            for d in docs]

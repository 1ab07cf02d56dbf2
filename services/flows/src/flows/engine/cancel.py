"""Cancelling an execution: execution.cancelled appended at the stream's next version, then its row deleted.

The engine running it (in any process) finds its next commit refused at that version and stops (LostLease); a
step already in flight finishes, its outcome unrecorded. An execution whose stream was not written yet (its
first outside step in flight) is recorded as started and cancelled. An execution that already ended is refused.
"""

from __future__ import annotations

from typing import Any

from flows.engine.commits import ExecutionLog, LostLease
from flows.engine.engine import Engine
from flows.engine.runs import start_of
from flows_contracts.events import ExecutionCancelled
from junction_common.envelope import Actor, NewEvent
from junction_common.web.envelope import ApiError

Doc = dict[str, Any]
ATTEMPTS = 5


async def cancel_execution(engine: Engine, workspace_id: str, execution_id: str, reason: str, actor: Actor) -> None:
    """Record the cancellation (retried when the running engine appends first), then drop the queued row."""
    cancelled = NewEvent(type="execution.cancelled", data=ExecutionCancelled(reason=reason).model_dump())
    for _ in range(ATTEMPTS):
        run = await _current(engine, workspace_id, execution_id, actor)
        if run.state is not None and run.state.finished:
            raise ApiError("VALIDATION_ERROR", "The execution has already ended.",
                           {"id": execution_id, "status": run.state.status})
        run.add([cancelled])
        taken = run.take()
        try:
            if taken is not None:
                await engine.commits.append(*taken)
            break
        except LostLease:
            continue
    else:
        raise ApiError("INTERNAL_ERROR", "The execution kept changing: try again.", {"id": execution_id})
    await engine.queue.finish(execution_id)
    task = engine.running.get(execution_id)
    if task is not None:
        task.cancel()


async def _current(engine: Engine, workspace_id: str, execution_id: str, actor: Actor) -> ExecutionLog:
    """The execution as stored; from its queued row when its stream was not written yet."""
    events, _ = await engine.runtime.store.load(execution_id)
    if events:
        if events[0].workspace_id != workspace_id:
            raise ApiError("NOT_FOUND", "The execution could not be found.", {"id": execution_id})
        return ExecutionLog(events, execution_id, workspace_id, execution_id, actor)
    row = await engine.queue.get(execution_id)
    if row is None or row.get("workspace_id") != workspace_id:
        raise ApiError("NOT_FOUND", "The execution could not be found.", {"id": execution_id})
    run = ExecutionLog([], execution_id, workspace_id, execution_id, actor)
    run.add([NewEvent(type="execution.started", data=start_of(row)["data"])])
    return run

"""The engine: a component of every flows process that runs executions, durably.

Starting an execution (`Engine.start`, used by executeWorkflow, testFlow, replay and the `execution.start`
command) queues a row leased by this engine, then runs it at once in this process. Running is a loop: walk the
graph (walk.py), run the outside steps it stops at (one per parallel branch, at most `execution_parallel_steps`,
together) each with its idempotency key, fold the outcomes in, walk again. What the walks record is committed
before the next outside steps run once an outside step's outcome is among it (so a crash repeats at most one
round of calls, each with the same key), and at a wait and at the end: a flow with one outside step is one
commit. A delay or a retry that is not due releases the row until then (no worker held); the end commits
execution.completed / failed and deletes the row.

Durability: the sweeper renews this engine's leases and claims due rows whose lease expired (a crashed engine's
executions, delays and retries that came due); a claimed execution is loaded from its stream and walked again,
so it resumes at the step it was in (an unfinished attempt runs again with the same idempotency key).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from flows.actions.runner import ProviderActions
from flows.engine.commits import CommitLog, ExecutionLog, LostLease
from flows.engine.runs import RunQueue, start_of
from flows.engine.walk import Finished, RunStep, RunSteps, Wait, Walker, failure_event, success_event
from flows.settings import FlowsSettings
from flows.steps.crm import CrmSteps
from flows.steps.effects import EffectCall, Effects
from flows.steps.errors import StepError
from flows.steps.http import HttpSteps
from flows.steps.peers import PeerSteps
from flows_contracts import executions as ex
from flows_contracts import workflows as wx
from flows_contracts.events import ExecutionCompleted, ExecutionFailed, WorkflowExecuted
from flows_contracts.nodes import SIDE_EFFECTS
from junction_common.address_policy import AddressPolicy
from junction_common.batching import GroupCommit
from junction_common.envelope import Actor, NewEvent
from junction_common.ids import new_ulid
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.web.peers import PeerClient

log = get_logger(__name__)
Doc = dict[str, Any]
HOLD_S = 0.5  # a wait shorter than this is slept through, holding the lease
MAX_ENGINE_ERRORS = 5  # the engine itself failing this often on one execution fails it (ENGINE_ERROR)


class Engine:
    def __init__(self, runtime: ServiceRuntime) -> None:
        settings = runtime.settings
        assert isinstance(settings, FlowsSettings)
        self.runtime, self.settings = runtime, settings
        self.token = new_ulid()
        self.queue = RunQueue(runtime.db, self.token, settings.execution_lease_s)
        self.commits = CommitLog(runtime)
        self.workflows: GroupCommit[str, Doc | None] = GroupCommit(self._read_workflows, wait_s=0.002)
        self.peers = PeerClient(settings, caller="flows")
        allow, https = settings.http_policy()
        self.effects = Effects(HttpSteps(AddressPolicy.from_settings(allow, https)),
                               CrmSteps(settings, runtime.broker, self.peers), PeerSteps(self.peers),
                               lambda: runtime.component(ProviderActions))
        self.running: dict[str, asyncio.Task[None]] = {}
        self.finished: dict[str, list[asyncio.Future[Finished]]] = {}
        self._slots = asyncio.Semaphore(settings.execution_concurrency)
        self._sweeper: asyncio.Task[None] | None = None
        self._stopping = False

    async def prepare(self) -> None:
        await self.queue.ensure_indexes()

    async def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="flows-engine-sweeper")

    async def stop(self) -> None:
        self._stopping = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        tasks = list(self.running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.commits.drain()
        await self.queue.drain()
        with contextlib.suppress(Exception):
            await self.queue.release_all()
        await self.effects.close()
        await self.peers.close()

    # -- starting -------------------------------------------------------------------------------------------

    async def _read_workflows(self, ids: list[str]) -> list[Doc | None]:
        """Concurrent starts' workflows in one `_id $in` read (each read after its start began)."""
        docs = await self.runtime.db[wx.COLLECTION].find({"_id": {"$in": list(set(ids))}}).to_list()
        found = {d["_id"]: d for d in docs}
        return [found.get(i) for i in ids]

    async def start_execution(self, execution_id: str, workspace_id: str, started: Doc, actor: Actor) -> bool:
        """Queue and run a new execution; False when it was queued before (the same start repeated)."""
        row_start = {"data": started, "actor": actor.model_dump()}
        if not await self.queue.add(execution_id, workspace_id, row_start, time.time()):
            return False
        self._spawn({"_id": execution_id, "workspace_id": workspace_id, "start": row_start}, fresh=True)
        return True

    def expect(self, execution_id: str) -> asyncio.Future[Finished]:
        """A future of the execution's end, set when this process runs it to the end (ask before starting)."""
        future: asyncio.Future[Finished] = asyncio.get_running_loop().create_future()
        self.finished.setdefault(execution_id, []).append(future)
        return future

    def forget(self, execution_id: str) -> None:
        self.finished.pop(execution_id, None)

    def _spawn(self, row: Doc, fresh: bool = False) -> None:
        execution_id = row["_id"]
        if execution_id in self.running:
            return
        task = asyncio.create_task(self._run(row, fresh), name=f"execution-{execution_id}")
        self.running[execution_id] = task
        task.add_done_callback(lambda _: self.running.pop(execution_id, None))

    # -- running --------------------------------------------------------------------------------------------

    async def _run(self, row: Doc, fresh: bool) -> None:
        execution_id = row["_id"]
        async with self._slots:
            try:
                await self._execute(row, fresh)
            except LostLease:
                log.warning("execution_taken_over", execution_id=execution_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("execution_run_failed", execution_id=execution_id)
                with contextlib.suppress(Exception):
                    await self.queue.failed_run(execution_id, time.time() + self.settings.execution_lease_s)

    async def _load(self, row: Doc, fresh: bool) -> ExecutionLog:
        """The execution as stored; a fresh one (its row just inserted by this engine) has no stream yet."""
        events = [] if fresh else (await self.runtime.store.load(row["_id"]))[0]
        start = start_of(row)
        actor = Actor.model_validate(start.get("actor") or {})
        run = ExecutionLog(events, row["_id"], row["workspace_id"], row["_id"], actor)
        if run.state is None:
            run.add([NewEvent(type="execution.started", data=start["data"])])
        return run

    async def _execute(self, row: Doc, fresh: bool) -> None:
        run = await self._load(row, fresh)
        if int(row.get("engine_errors") or 0) >= MAX_ENGINE_ERRORS and run.state is not None:
            error = {"code": "ENGINE_ERROR", "message": f"the engine failed {MAX_ENGINE_ERRORS} times running it"}
            await self._finish(run, Finished(ex.FAILED, error=error))
            return
        while run.state is not None and not run.state.finished:
            walker = Walker(run.state, time.time(), self.settings.execution_parallel_steps)
            outcome = walker.walk()
            run.add(walker.events)
            if isinstance(outcome, RunStep | RunSteps):
                if _holds_an_outcome(run):
                    await self._commit(run)
                steps = outcome.steps if isinstance(outcome, RunSteps) else (outcome,)
                run.add(list(await asyncio.gather(*(self._effect(run, step) for step in steps))))
            elif isinstance(outcome, Wait):
                await self._commit(run)
                delay = outcome.until - time.time()
                if delay > HOLD_S or self._stopping:
                    await self.queue.wait(run.execution_id, outcome.until)
                    return
                await asyncio.sleep(max(delay, 0.0))
            else:
                await self._finish(run, outcome)
                return
        await self.queue.finish(run.execution_id)

    async def _finish(self, run: ExecutionLog, outcome: Finished) -> None:
        run.add(_terminal(outcome, run))
        await self._commit(run)
        await self.queue.finish(run.execution_id)
        self._announce(run.execution_id, outcome)
        log.debug("execution_finished", execution_id=run.execution_id, status=outcome.status)

    async def _commit(self, run: ExecutionLog) -> None:
        taken = run.take()
        if taken is not None:
            await self.commits.append(*taken)

    async def _effect(self, run: ExecutionLog, step: RunStep) -> NewEvent:
        """Run the outside step once for this attempt: its step.succeeded, or its step.failed."""
        call = EffectCall(run.workspace_id, run.execution_id, step.key, step.attempt, step.node["type"],
                          step.input if isinstance(step.input, dict) else {})
        began = time.perf_counter()
        try:
            output = await self.effects.run(call)
        except StepError as exc:
            return failure_event(step.node, step.key, step.attempt, exc, _ms(began), time.time())
        return success_event(step.node, step.key, step.attempt, output, None, _ms(began))

    def _announce(self, execution_id: str, outcome: Finished) -> None:
        for future in self.finished.pop(execution_id, []):
            if not future.done():
                future.set_result(outcome)

    # -- the sweeper ----------------------------------------------------------------------------------------

    async def _sweep_forever(self) -> None:
        renewed = 0.0
        while True:
            try:
                now = time.time()
                if now - renewed > self.settings.execution_lease_s / 3:
                    await self.queue.renew(now)
                    renewed = now
                free = self.settings.execution_concurrency - len(self.running)
                if free > 0:
                    for row in await self.queue.claim_due(now, min(free, 500), set(self.running)):
                        self._spawn(row)
            except Exception:
                log.exception("execution_sweep_failed")
            await asyncio.sleep(self.settings.execution_sweep_s)


def _holds_an_outcome(run: ExecutionLog) -> bool:
    """Whether an outside step's outcome waits uncommitted: it is made durable before the next outside step runs,
    so a crash repeats at most one step's call (with the same idempotency key). Before the first one nothing needs
    committing: the queued row restarts the execution, and its walk makes the same call with the same key."""
    return any(e["type"] in ("step.succeeded", "step.failed") and e["data"].get("node_type") in SIDE_EFFECTS
               for e in run.pending)


def _ms(began: float) -> float:
    return round((time.perf_counter() - began) * 1000, 3)


def _terminal(outcome: Finished, run: ExecutionLog) -> list[NewEvent]:
    """execution.completed or .failed, and workflow.executed (workflow-api's webhook event) beside it."""
    if outcome.status == ex.COMPLETED:
        done = ExecutionCompleted(output=outcome.output, response=outcome.response)
        end = NewEvent(type="execution.completed", data=done.model_dump())
    else:
        failed = ExecutionFailed(error=outcome.error or {}, step=outcome.step)
        end = NewEvent(type="execution.failed", data=failed.model_dump())
    started = run.state.started if run.state is not None else {}
    executed = WorkflowExecuted(workflow_id=str(started.get("workflow_id")), execution_id=run.execution_id,
                                status=outcome.status, version=int(started.get("version") or 0),
                                output=outcome.output, error=outcome.error)
    return [end, NewEvent(type="workflow.executed", data=executed.model_dump())]

"""One walk through an execution's graph, from the trigger, deterministic given what is recorded.

Steps that succeeded are not run again: their recorded output (and branch) is reused, so a resumed execution,
and a replay from a named step (the original's earlier outputs given as `recorded`), walk the same path. Pure
steps (and the trigger) are evaluated on the way, each recorded by its step.succeeded / step.failed alone (a
step.started in the same commit would say nothing more: same time, no input); a branch stops at a step with an
outside effect that has not succeeded, or at a delay or a retry that is not due, and the walk goes on along the
other branches (flows.engine.branches). It ends with the outside steps to run now (`RunStep`, or `RunSteps` when
branches run in parallel: the engine records them as started, runs them together, records the outcomes, and
walks again), else the earliest time a branch waits for (`Wait`), or the end (`Finished`; a failure without an
error path ends the execution at once).

Order: breadth first from the trigger; a node where branches merge runs once, when every branch that may still
reach it has (flows.engine.branches). A loop runs its `each` body once per item (step keys `node[i]`;
`loop.item`, `loop.index` in templates), stopping at edges back into the loop, then follows `done`. A failed
step follows its `error` edges (`error` in templates) or fails the execution.
"""

from __future__ import annotations

import time
from collections import deque
from datetime import datetime
from typing import Any

from flows.domain.execution import Execution, StepRecord
from flows.engine.branches import MAX_PARALLEL, Graph
from flows.engine.outcomes import Blocked, Finished, Outcome, RunStep, RunSteps, Wait
from flows.engine.step_events import failure_event, started_event, success_event
from flows.steps.errors import StepError
from flows.steps.logic import PURE
from flows.templating.expressions import TemplateFailure, evaluate, render
from flows_contracts import executions as ex
from flows_contracts.nodes import SIDE_EFFECTS, TRIGGER
from junction_common.envelope import NewEvent

__all__ = ["Finished", "RunStep", "RunSteps", "Wait", "Walker", "failure_event", "started_event", "success_event"]

Node = dict[str, Any]


class Walker:
    def __init__(self, state: Execution, now: float, parallel: int = MAX_PARALLEL) -> None:
        definition = state.definition
        self.now, self.parallel = now, max(parallel, 1)
        self.nodes: dict[str, Node] = {n["id"]: n for n in definition["nodes"]}
        self.graph = Graph.of(definition["edges"])
        self.out = self.graph.out
        self.steps: dict[str, StepRecord] = dict(state.steps)
        self.recorded: dict[str, Any] = state.started.get("recorded") or {}
        data = (state.started.get("trigger") or {}).get("data")
        self.ctx: dict[str, Any] = {
            "trigger": data, "input": data, "steps": {}, "vars": dict(definition.get("variables") or {}),
            "execution": {"id": state.execution_id, "workflow_id": state.started["workflow_id"],
                          "version": state.started["version"]}}
        self.events: list[NewEvent] = []
        self.visited: set[str] = set()
        self.last_output: Any = None
        self.response: dict[str, Any] | None = None

    def walk(self) -> Outcome:
        trigger = next((n for n in self.nodes.values() if n["type"] == TRIGGER), None)
        if trigger is None:
            return Finished(ex.FAILED, error={"code": "NO_TRIGGER", "message": "the workflow has no trigger"})
        halt = self._path([trigger["id"]], "", None)
        if halt is None:
            return Finished(ex.COMPLETED, output=self.last_output, response=self.response)
        for step in halt.steps if isinstance(halt, RunSteps) else [halt] if isinstance(halt, RunStep) else []:
            rec = self.steps.get(step.key)  # recorded as started now, unless this attempt already was
            if rec is None or rec.status != "started" or rec.attempt != step.attempt:
                self.emit(started_event(step.node, step.key, step.attempt, step.input))
        return halt

    def emit(self, event: NewEvent) -> None:
        self.events.append(event)
        d = event.data
        if event.type == "step.started":
            self.steps[d["step"]] = StepRecord("started", d["attempt"], wake_at=d.get("wake_at"))
        elif event.type == "step.succeeded":
            self.steps[d["step"]] = StepRecord("succeeded", d["attempt"], d["output"], d.get("branch"))
        elif event.type == "step.failed":
            self.steps[d["step"]] = StepRecord("failed", d["attempt"], error=d["error"], retry_at=d.get("retry_at"))

    def _path(self, starts: list[str], suffix: str, stop_at: str | None) -> Outcome | None:
        """Walk every branch from `starts`: None when all ended, a failure at once, else what they stopped at."""
        queue, deferred, blocked, forced = deque(starts), list[str](), Blocked([], [], []), set[str]()
        while queue or deferred:
            if not queue:
                queue.extend(self._joinable(deferred, blocked.nodes, stop_at, forced))
                if not queue:
                    break
            node_id = queue.popleft()
            key = node_id + suffix
            if node_id == stop_at or key in self.visited or node_id not in self.nodes:
                continue
            if node_id in self.graph.joins and node_id not in forced and not self.graph.joinable(
                    node_id, self._open(queue, deferred, blocked.nodes, suffix), stop_at):
                if node_id not in deferred:
                    deferred.append(node_id)
                continue
            if node_id in deferred:
                deferred.remove(node_id)
            self.visited.add(key)
            step = self._node(self.nodes[node_id], key, suffix)
            if isinstance(step, list):
                queue.extend(step)
            elif isinstance(step, Finished):
                return step
            else:
                blocked.add(node_id, step)
        return blocked.outcome(self.parallel)

    def _open(self, queue: deque[str], deferred: list[str], blocked: list[str], suffix: str) -> list[str]:
        return [n for n in queue if n + suffix not in self.visited] + deferred + blocked

    def _joinable(self, deferred: list[str], blocked: list[str], stop_at: str | None, forced: set[str]
                  ) -> list[str]:
        """The merges waiting to join that may run now that nothing else is to be walked (the first, `forced`,
        should they all wait on each other with nothing blocked)."""
        ready = [n for n in deferred if self.graph.joinable(n, [d for d in deferred if d != n] + blocked, stop_at)]
        if not ready and deferred and not blocked:
            ready = deferred[:1]
            forced.update(ready)
        for node_id in ready:
            deferred.remove(node_id)
        return ready

    def _node(self, node: Node, key: str, suffix: str) -> Outcome | list[str]:
        rec = self.steps.get(key)
        if rec is None and key in self.recorded and node["type"] != TRIGGER:
            kept = self.recorded[key]
            self.emit(success_event(node, key, 0, kept.get("output"), kept.get("branch"), 0.0, recorded=True))
            rec = self.steps[key]
        if rec is not None and rec.status == "succeeded":
            if node["type"] == "loop":
                return self._iterate(node, list((rec.output or {}).get("items") or []), suffix)
            return self._after(node, rec.output, rec.branch, suffix)
        attempt = 1
        if rec is not None and rec.status == "failed":
            if rec.retry_at is None:
                return self._error_path(node, key, rec.error or {})
            if rec.retry_at > self.now:
                return Wait(rec.retry_at)
            attempt = rec.attempt + 1
        elif rec is not None:
            attempt = rec.attempt
        return self._run(node, key, attempt, rec, suffix)

    def _run(self, node: Node, key: str, attempt: int, rec: StepRecord | None, suffix: str) -> Outcome | list[str]:
        kind = node["type"]
        if kind == TRIGGER:
            self.emit(success_event(node, key, attempt, self.ctx["trigger"], None, 0.0))
            return self._after(node, self.ctx["trigger"], None, suffix)
        if kind == "delay":
            return self._delay(node, key, attempt, rec, suffix)
        began = time.perf_counter()
        try:
            if kind in SIDE_EFFECTS:  # recorded as started by walk() if it runs in this round
                return RunStep(key, node, attempt, render(node.get("config") or {}, self.ctx))
            if kind == "loop":
                return self._loop(node, key, attempt, suffix)
            output, branch = PURE[kind](node.get("config") or {}, self.ctx)
        except TemplateFailure as exc:
            return self.fail(node, key, attempt, StepError("template", "TEMPLATE_ERROR", str(exc)), began)
        except StepError as exc:
            return self.fail(node, key, attempt, exc, began)
        self.emit(success_event(node, key, attempt, output, branch, (time.perf_counter() - began) * 1000))
        return self._after(node, output, branch, suffix)

    def fail(self, node: Node, key: str, attempt: int, error: StepError, began: float) -> Outcome | list[str]:
        self.emit(failure_event(node, key, attempt, error, (time.perf_counter() - began) * 1000, self.now))
        rec = self.steps[key]
        if rec.retry_at is not None:
            return Wait(rec.retry_at)
        if error.kind == "stop":
            return Finished(ex.FAILED, error={**error.as_dict(), "node": node["id"]}, step=key)
        return self._error_path(node, key, rec.error or {})

    def _error_path(self, node: Node, key: str, error: dict[str, Any]) -> Outcome | list[str]:
        targets = [e["target"] for e in self.out.get(node["id"], []) if e.get("branch") == "error"]
        if not targets or error.get("kind") == "stop":
            return Finished(ex.FAILED, error={**error, "node": node["id"]}, step=key)
        self.ctx["error"] = {**error, "node": node["id"], "step": key}
        return targets

    def _after(self, node: Node, output: Any, branch: str | None, suffix: str) -> list[str]:
        """Record the output where templates see it; the next nodes by branch."""
        kind = node["type"]
        self.ctx["steps"][node["id"]] = output
        if kind == "set_variable" and isinstance(output, dict):
            self.ctx["vars"][output["name"]] = output.get("value")
        if kind == "respond_to_webhook":
            self.response = output
        if kind != TRIGGER or self.last_output is None:  # with no step after it, the trigger's data is the output
            self.last_output = output
        edges = self.out.get(node["id"], [])
        if kind in ("if", "switch"):
            return [e["target"] for e in edges if e.get("branch") == branch]
        if kind == "filter" and branch == "stop":
            return []
        if kind == "loop":
            return [e["target"] for e in edges if e.get("branch") == "done"]
        return [e["target"] for e in edges if e.get("branch") in (None, "")]

    def _delay(self, node: Node, key: str, attempt: int, rec: StepRecord | None, suffix: str
               ) -> Outcome | list[str]:
        config = node.get("config") or {}
        if rec is not None and rec.status == "started" and rec.wake_at is not None:
            wake_at = rec.wake_at
        else:
            try:
                until = render(config.get("until"), self.ctx) if config.get("until") else None
                wake_at = datetime.fromisoformat(str(until)).timestamp() if until else \
                    self.now + float(config.get("seconds") or 0)
            except (TemplateFailure, ValueError) as exc:
                return self.fail(node, key, attempt, StepError("template", "TEMPLATE_ERROR", str(exc)),
                                 time.perf_counter())
            self.emit(started_event(node, key, attempt, wake_at=wake_at))
        if wake_at > self.now:
            return Wait(wake_at)
        output = {"waited_until": datetime.fromtimestamp(wake_at).astimezone().isoformat()}
        self.emit(success_event(node, key, attempt, output, None, 0.0))
        return self._after(node, output, None, suffix)

    def _loop(self, node: Node, key: str, attempt: int, suffix: str) -> Outcome | list[str]:
        config = node.get("config") or {}
        items = evaluate(str(config["items"]), self.ctx)
        if not isinstance(items, list):
            raise StepError("template", "NOT_A_LIST", f"the loop's items are a {type(items).__name__}")
        items = items[: int(config.get("max_items", 1000))]
        self.emit(success_event(node, key, attempt, {"items": items, "count": len(items)}, None, 0.0))
        return self._iterate(node, items, suffix)

    def _iterate(self, node: Node, items: list[Any], suffix: str) -> Outcome | list[str]:
        body = [e["target"] for e in self.out.get(node["id"], []) if e.get("branch") == "each"]
        results, outer = [], self.ctx.get("loop")
        for index, item in enumerate(items):
            self.ctx["loop"] = {"item": item, "index": index, "count": len(items)}
            self.last_output = None
            halt = self._path(body, f"{suffix}[{index}]", node["id"])
            if halt is not None:
                self.ctx["loop"] = outer
                return halt
            results.append(self.last_output)
        self.ctx["loop"] = outer
        return self._after(node, {"items": items, "count": len(items), "results": results}, None, suffix)

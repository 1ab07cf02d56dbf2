"""One walk through an execution's graph, from the trigger, deterministic given what is recorded.

Steps that succeeded are not run again: their recorded output (and branch) is reused, so a resumed execution,
and a replay from a named step (the original's earlier outputs given as `recorded`), walk the same path. Pure
steps are evaluated on the way (their step.started/succeeded emitted); the walk stops at the first step with an
outside effect that has not succeeded (`RunStep`: the engine records it as started, runs it, records the
outcome, and walks again), at a delay or a retry that is not due (`Wait`), or at the end (`Finished`).

Order: breadth first from the trigger; a node reached by two paths runs once (the first arrival). A loop runs
its `each` body once per item (step keys `node[i]`; `loop.item`, `loop.index` in templates), stopping at
edges back into the loop, then follows `done`. A failed step follows its `error` edges (`error` in templates)
or fails the execution.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flows.domain.execution import Execution, StepRecord
from flows.steps.errors import StepError
from flows.steps.logic import PURE
from flows.templating.expressions import TemplateFailure, evaluate, render
from flows_contracts import executions as ex
from flows_contracts.events import StepFailed, StepStarted, StepSucceeded
from flows_contracts.nodes import SIDE_EFFECTS, TRIGGER, RetryPolicy
from junction_common.envelope import NewEvent

Node = dict[str, Any]


@dataclass(frozen=True)
class RunStep:
    key: str
    node: Node
    attempt: int
    input: Any


@dataclass(frozen=True)
class Wait:
    until: float


@dataclass(frozen=True)
class Finished:
    status: str
    output: Any = None
    error: dict[str, Any] | None = None
    step: str | None = None
    response: dict[str, Any] | None = None


Outcome = RunStep | Wait | Finished


def failure_event(node: Node, key: str, attempt: int, error: StepError, duration_ms: float, now: float
                  ) -> NewEvent:
    """step.failed, with the time of the next attempt when the node's retry policy allows one."""
    policy = RetryPolicy.model_validate(node.get("retry") or {})
    retry_at = None
    if attempt < policy.attempts and (error.kind in policy.on or "any" in policy.on) and error.kind != "stop":
        retry_at = now + policy.backoff_s * policy.multiplier ** (attempt - 1)
    failed = StepFailed(step=key, node_id=node["id"], node_type=node["type"], attempt=attempt,
                        error=error.as_dict(), duration_ms=duration_ms, retry_at=retry_at)
    return NewEvent(type="step.failed", data=failed.model_dump())


def success_event(node: Node, key: str, attempt: int, output: Any, branch: str | None, duration_ms: float,
                  recorded: bool = False) -> NewEvent:
    done = StepSucceeded(step=key, node_id=node["id"], node_type=node["type"], attempt=attempt, output=output,
                         branch=branch, duration_ms=round(duration_ms, 3), recorded=recorded)
    return NewEvent(type="step.succeeded", data=done.model_dump())


def started_event(node: Node, key: str, attempt: int, input: Any = None, wake_at: float | None = None) -> NewEvent:
    started = StepStarted(step=key, node_id=node["id"], node_type=node["type"], attempt=attempt, input=input,
                          wake_at=wake_at)
    return NewEvent(type="step.started", data=started.model_dump())


class Walker:
    def __init__(self, state: Execution, now: float) -> None:
        definition = state.definition
        self.now = now
        self.nodes: dict[str, Node] = {n["id"]: n for n in definition["nodes"]}
        self.out: dict[str, list[dict[str, Any]]] = {}
        for edge in definition["edges"]:
            self.out.setdefault(edge["source"], []).append(edge)
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
        if halt is not None:
            return halt
        return Finished(ex.COMPLETED, output=self.last_output, response=self.response)

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
        queue = deque(starts)
        while queue:
            node_id = queue.popleft()
            key = node_id + suffix
            if node_id == stop_at or key in self.visited or node_id not in self.nodes:
                continue
            self.visited.add(key)
            step = self._node(self.nodes[node_id], key, suffix)
            if not isinstance(step, list):
                return step
            queue.extend(step)
        return None

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
            self.emit(started_event(node, key, attempt))
            self.emit(success_event(node, key, attempt, self.ctx["trigger"], None, 0.0))
            return self._after(node, self.ctx["trigger"], None, suffix)
        if kind == "delay":
            return self._delay(node, key, attempt, rec, suffix)
        began = time.perf_counter()
        try:
            if kind in SIDE_EFFECTS:
                rendered = render(node.get("config") or {}, self.ctx)
                if rec is None or rec.status != "started" or rec.attempt != attempt:
                    self.emit(started_event(node, key, attempt, rendered))
                return RunStep(key, node, attempt, rendered)
            if kind == "loop":
                return self._loop(node, key, attempt, suffix)
            output, branch = PURE[kind](node.get("config") or {}, self.ctx)
        except TemplateFailure as exc:
            return self.fail(node, key, attempt, StepError("template", "TEMPLATE_ERROR", str(exc)), began)
        except StepError as exc:
            return self.fail(node, key, attempt, exc, began)
        self.emit(started_event(node, key, attempt))
        self.emit(success_event(node, key, attempt, output, branch, (time.perf_counter() - began) * 1000))
        return self._after(node, output, branch, suffix)

    def fail(self, node: Node, key: str, attempt: int, error: StepError, began: float) -> Outcome | list[str]:
        if self.steps.get(key) is None or self.steps[key].attempt != attempt:
            self.emit(started_event(node, key, attempt))
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
        if kind != TRIGGER:
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
        self.emit(started_event(node, key, attempt))
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
                return halt
            results.append(self.last_output)
        self.ctx["loop"] = outer
        return self._after(node, {"items": items, "count": len(items), "results": results}, None, suffix)

"""Execution aggregate (`exec_...`): one run of a workflow version, step by step.

Invariants:
- An execution runs the graph recorded in its execution.started (the version it ran), never a later one.
- A step is keyed by its node id, with `[i]` for each enclosing loop iteration; its attempts count from 1, and
  an attempt's side effect is recorded as started before it runs (a resumed execution repeats an unfinished
  attempt with the same idempotency key, never a finished one).
- A step that succeeded keeps its output: resuming (or replaying from a later step) reuses it, so the walk
  through the graph is the same every time.
- After execution.completed / failed / cancelled nothing more is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flows_contracts import executions as ex
from junction_common.envelope import EventEnvelope

TERMINAL_EVENTS = {"execution.completed": ex.COMPLETED, "execution.failed": ex.FAILED,
                   "execution.cancelled": ex.CANCELLED}
STEP_EVENTS = frozenset({"step.started", "step.succeeded", "step.failed"})


@dataclass(frozen=True)
class StepRecord:
    status: str  # started, succeeded, failed
    attempt: int
    output: Any = None
    branch: str | None = None
    error: dict[str, Any] | None = None
    wake_at: float | None = None
    retry_at: float | None = None


@dataclass(frozen=True)
class Execution:
    execution_id: str
    workspace_id: str
    started: dict[str, Any]  # the execution.started payload: graph, trigger, version, recorded outputs
    steps: dict[str, StepRecord] = field(default_factory=dict)
    status: str = ex.RUNNING
    version: int = 1  # the stream's version

    @property
    def definition(self) -> dict[str, Any]:
        value: dict[str, Any] = self.started["definition"]
        return value

    @property
    def finished(self) -> bool:
        return self.status in ex.TERMINAL


def evolve(state: Execution | None, event: EventEnvelope) -> Execution | None:
    """The execution after `event`."""
    return evolve_with(state, event.type, event.data, event.stream_id, event.workspace_id, event.version)


def evolve_with(state: Execution | None, kind: str, data: dict[str, Any], stream_id: str, workspace_id: str,
                version: int) -> Execution | None:
    """The execution after an event given by its fields (the engine folds the events it makes as it stores them,
    without an envelope object per event)."""
    if kind == "execution.started":
        return Execution(stream_id, workspace_id, data, version=version)
    if state is None:
        return None
    if kind in TERMINAL_EVENTS:
        return Execution(state.execution_id, state.workspace_id, state.started, state.steps,
                         TERMINAL_EVENTS[kind], version)
    key, steps = data.get("step"), state.steps
    if isinstance(key, str) and (record := _step_record(kind, data)) is not None:
        steps = {**state.steps, key: record}
    return Execution(state.execution_id, state.workspace_id, state.started, steps, state.status, version)


def _step_record(kind: str, data: dict[str, Any]) -> StepRecord | None:
    if kind == "step.started":
        return StepRecord("started", data["attempt"], wake_at=data.get("wake_at"))
    if kind == "step.succeeded":
        return StepRecord("succeeded", data["attempt"], data.get("output"), data.get("branch"))
    if kind == "step.failed":
        return StepRecord("failed", data["attempt"], error=data.get("error"), retry_at=data.get("retry_at"))
    return None


def fold(events: list[EventEnvelope]) -> Execution | None:
    state: Execution | None = None
    for event in events:
        state = evolve(state, event)
    return state


def recorded_before(events: list[EventEnvelope], step: str) -> dict[str, Any] | None:
    """The outputs of the steps that succeeded before `step` (a node id or step key) first started, to replay
    from it; None when the execution never reached it. A step's first event marks its start (a pure step is
    recorded by its step.succeeded or step.failed alone)."""
    kept: dict[str, Any] = {}
    for event in events:
        key = event.data.get("step")
        if not isinstance(key, str) or event.type not in STEP_EVENTS:
            continue
        if key == step or event.data.get("node_id") == step:
            return kept
        if event.type == "step.succeeded":
            kept[key] = {"output": event.data.get("output"), "branch": event.data.get("branch")}
    return None

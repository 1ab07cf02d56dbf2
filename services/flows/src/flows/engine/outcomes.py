"""What a walk of an execution ends with: outside steps to run now, a time to wait for, or the end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class RunSteps:
    steps: tuple[RunStep, ...]


Outcome = RunStep | RunSteps | Wait | Finished


@dataclass
class Blocked:
    """What one level of the walk (the graph, or a loop iteration's body) could not get past."""

    nodes: list[str]
    steps: list[RunStep]
    wake_at: list[float]

    def add(self, node_id: str, outcome: Outcome) -> None:
        self.nodes.append(node_id)
        if isinstance(outcome, RunStep):
            self.steps.append(outcome)
        elif isinstance(outcome, RunSteps):
            self.steps.extend(outcome.steps)
        elif isinstance(outcome, Wait):
            self.wake_at.append(outcome.until)

    def outcome(self, parallel: int) -> Outcome | None:
        if self.steps:
            chosen = tuple(self.steps[:parallel])
            return chosen[0] if len(chosen) == 1 else RunSteps(chosen)
        return Wait(min(self.wake_at)) if self.wake_at else None

"""The step events a walk and the engine record: step.started, step.succeeded, step.failed (with the next
attempt's time when the node's retry policy allows one)."""

from __future__ import annotations

from typing import Any

from flows.steps.errors import StepError
from flows_contracts.events import StepFailed, StepStarted, StepSucceeded
from flows_contracts.nodes import RetryPolicy
from junction_common.envelope import NewEvent

Node = dict[str, Any]


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

"""Typed workflow and execution events: one payload model per event type, each with its `schema_version`.

Execution streams (`exec_...`) hold execution.started, step.started, step.succeeded / step.failed (inputs,
outputs, error, attempt, duration) and one of execution.completed / failed / cancelled.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from junction_common.contracts.event_types import schemas_of

_CLOSED = ConfigDict(extra="forbid")


class Payload(BaseModel):
    model_config = _CLOSED
    schema_version: ClassVar[int] = 1


class Definition(BaseModel):
    """A workflow's graph as saved (nodes and edges as validated, variables' initial values)."""

    model_config = _CLOSED
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    variables: dict[str, Any]


class WorkflowCreated(Payload):
    name: str
    description: str | None
    definition: Definition
    version: int


class WorkflowUpdated(Payload):
    changes: dict[str, Any]  # name, description (as set)
    definition: Definition | None = None  # a new draft's graph
    version: int  # the draft's version after the change
    status: str


class WorkflowPublished(Payload):
    version: int
    definition: Definition


class WorkflowDeleted(Payload):
    pass


class ExecutionStarted(Payload):
    workflow_id: str
    workflow_name: str
    version: int
    draft: bool
    definition: Definition
    trigger: dict[str, Any]  # {type, data}
    source: str
    replay_of: str | None = None
    replay_from: str | None = None
    recorded: dict[str, Any] = {}  # step key -> output kept from the original (a replay from a step)
    test: bool = False


class StepStarted(Payload):
    step: str  # the step key: node id, `[i]` per enclosing loop iteration
    node_id: str
    node_type: str
    attempt: int
    input: Any = None
    wake_at: float | None = None  # a delay's end (epoch seconds)


class StepSucceeded(Payload):
    step: str
    node_id: str
    node_type: str
    attempt: int
    output: Any = None
    branch: str | None = None
    duration_ms: float
    recorded: bool = False  # the output was kept from the replayed execution, not run again


class StepFailed(Payload):
    step: str
    node_id: str
    node_type: str
    attempt: int
    error: dict[str, Any]  # {code, message, kind, details}
    duration_ms: float
    retry_at: float | None = None  # another attempt is due then (epoch seconds)


class ExecutionCompleted(Payload):
    output: Any = None
    response: dict[str, Any] | None = None  # what a respond_to_webhook step answered


class ExecutionFailed(Payload):
    error: dict[str, Any]
    step: str | None = None


class ExecutionCancelled(Payload):
    reason: str


class WorkflowExecuted(Payload):
    """workflow-api's webhook event: an execution of the workflow ended (on the execution's stream)."""

    workflow_id: str
    execution_id: str
    status: str
    version: int
    output: Any = None
    error: dict[str, Any] | None = None


EVENT_MODELS: dict[str, type[Payload]] = {
    "workflow.created": WorkflowCreated,
    "workflow.updated": WorkflowUpdated,
    "workflow.published": WorkflowPublished,
    "workflow.deleted": WorkflowDeleted,
    "execution.started": ExecutionStarted,
    "step.started": StepStarted,
    "step.succeeded": StepSucceeded,
    "step.failed": StepFailed,
    "execution.completed": ExecutionCompleted,
    "execution.failed": ExecutionFailed,
    "execution.cancelled": ExecutionCancelled,
    "workflow.executed": WorkflowExecuted,
}
DESCRIPTIONS = {
    "workflow.created": "A workflow (flow) was created as a draft.",
    "workflow.updated": "A workflow's name, description or graph changed (a graph change makes a new draft).",
    "workflow.published": "A workflow version was published (frozen); new executions run it.",
    "workflow.deleted": "A workflow was deleted.",
    "execution.started": "A workflow execution started, with its trigger data and the version it runs.",
    "step.started": "A step of an execution started (an attempt).",
    "step.succeeded": "A step of an execution succeeded, with its output.",
    "step.failed": "A step attempt failed, with its error (and when it is retried).",
    "execution.completed": "A workflow execution completed, with its output.",
    "execution.failed": "A workflow execution failed, with the error and the step.",
    "execution.cancelled": "A workflow execution was cancelled.",
    "workflow.executed": "A workflow execution ended (completed or failed), with its status and output.",
}


def version_of(event_type: str) -> int:
    return EVENT_MODELS[event_type].schema_version


def json_schemas() -> list[dict[str, Any]]:
    return schemas_of(EVENT_MODELS)

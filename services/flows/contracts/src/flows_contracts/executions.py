"""Executions: request models, the start command (the seam trigger sources use), statuses and collections.

A trigger source starts an execution by publishing on `flows.commands` a command of type `execution.start`,
keyed by the workflow id (`aggregate_id` = workflow id), whose data is `StartExecution`: the flows service's
engine runs the workflow's published version (its draft when never published). `idempotency_key` makes a
repeated start (a redelivered trigger event) one execution: the execution id derives from it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

COLLECTION = "executions"
RUNS = "execution_runs"  # the engine's work queue: one row per unfinished execution, with its lease
PREFIX = "exec"
START = "execution.start"
RUNNING, COMPLETED, FAILED, CANCELLED, PENDING = "running", "completed", "failed", "cancelled", "pending"
TERMINAL = frozenset({COMPLETED, FAILED, CANCELLED})
ExecutionStatus = Literal["pending", "running", "completed", "failed", "cancelled"]


class Trigger(BaseModel):
    type: str = Field(default="manual", max_length=60)  # manual, webhook, poll, event, cron, form, replay, test
    data: Any = None


class StartExecution(BaseModel):
    """`execution.start` command data."""

    workflow_id: str = Field(min_length=1, max_length=64)
    trigger: Trigger = Field(default_factory=Trigger)
    source: str = Field(default="api", max_length=200)  # what fired it (a trigger subscription id, a form id)
    idempotency_key: str | None = Field(default=None, max_length=300)


class ExecuteBody(BaseModel):
    input: dict[str, Any] = Field(default_factory=dict)


class ExecutionListQuery(BaseModel):
    status: ExecutionStatus | None = None
    from_: str | None = Field(default=None, alias="from", max_length=40)
    to: str | None = Field(default=None, max_length=40)
    cursor: str | None = Field(default=None, max_length=500)
    limit: int = Field(default=20, ge=1, le=100)
    page: int | None = Field(default=None, ge=1, le=100000)
    model_config = ConfigDict(populate_by_name=True)


class TaskHistoryQuery(BaseModel):
    page: int = Field(default=1, ge=1, le=100000)
    limit: int = Field(default=20, ge=1, le=100)
    status: ExecutionStatus | None = None
    flowId: str | None = Field(default=None, max_length=64)
    from_: str | None = Field(default=None, alias="from", max_length=40)
    to: str | None = Field(default=None, max_length=40)
    model_config = ConfigDict(populate_by_name=True)


class ReplayBody(BaseModel):
    """Replay from the start or from `fromStep` (earlier steps' recorded outputs kept), optionally with an
    edited trigger payload, on the workflow's current version or the one the original ran."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    fromStep: str | None = Field(default=None, max_length=200)
    triggerData: Any = None
    version: Literal["original", "current"] = "original"


class BulkReplayBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str = Field(alias="from", max_length=40)
    to: str = Field(max_length=40)
    version: Literal["original", "current"] = "original"

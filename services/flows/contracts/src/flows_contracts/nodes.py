"""Node types of a workflow and each one's config schema (validated on save; the engine reads the same models).

Edges carry a `branch` where a node chooses among them: `true`/`false` out of `if`, a case value or `default`
out of `switch`, `each` (the body) and `done` out of `loop`, `error` out of any step (its error path).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class NodeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TriggerConfig(NodeConfig):
    """How the flow starts: manual/API, webhook, poll, event, cron or form (FL-EDGE's trigger sources)."""

    model_config = ConfigDict(extra="allow")
    kind: Literal["manual", "webhook", "poll", "event", "cron", "form"] = "manual"


class HttpRequestConfig(NodeConfig):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: str = Field(min_length=1, max_length=2048)
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    timeout_s: float = Field(default=30.0, gt=0, le=120)


class TransformConfig(NodeConfig):
    output: Any = None  # any JSON; every string in it is a template


class ConditionConfig(NodeConfig):
    condition: str = Field(min_length=1, max_length=4000)  # a template expression: `trigger.amount > 100`


class SwitchConfig(NodeConfig):
    value: str = Field(min_length=1, max_length=4000)  # an expression; its value picks the edge of that branch
    cases: list[str] = Field(default_factory=list, max_length=50)


class LoopConfig(NodeConfig):
    items: str = Field(min_length=1, max_length=4000)  # an expression giving a list
    max_items: int = Field(default=1000, ge=1, le=10000)


class DelayConfig(NodeConfig):
    seconds: float | None = Field(default=None, ge=0, le=30 * 86400)
    until: str | None = None  # a template giving an ISO 8601 time: wait until then


class SetVariableConfig(NodeConfig):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    value: Any = None


class RespondConfig(NodeConfig):
    status: int = Field(default=200, ge=100, le=599)
    body: Any = None
    headers: dict[str, str] = Field(default_factory=dict)


class StopErrorConfig(NodeConfig):
    message: str = Field(default="stopped", max_length=2000)
    code: str = Field(default="STOPPED", max_length=100)


class CrmConfig(NodeConfig):
    resource: str = Field(min_length=1, max_length=60, pattern=r"^[a-z_]+$")  # `contact`, `deal`, ...
    id: str | None = None  # update only: the resource's id (a template)
    data: dict[str, Any] = Field(default_factory=dict)


class ProviderActionConfig(NodeConfig):
    provider: str = Field(min_length=1, max_length=100)
    action: str = Field(min_length=1, max_length=100)
    inputs: dict[str, Any] = Field(default_factory=dict)


class TableUpsertConfig(NodeConfig):
    table: str = Field(min_length=1, max_length=100)
    key: str | None = None  # the column the row is matched on
    data: dict[str, Any] = Field(default_factory=dict)


class TableLookupConfig(NodeConfig):
    table: str = Field(min_length=1, max_length=100)
    column: str = Field(min_length=1, max_length=100)
    value: str = Field(max_length=2000)


class RecordToTableConfig(NodeConfig):
    table: str = Field(min_length=1, max_length=100)
    record: str = Field(default="{{ trigger }}", max_length=4000)  # an expression giving the record
    key: str | None = None


TRIGGER = "trigger"
NODE_CONFIGS: dict[str, type[NodeConfig]] = {
    TRIGGER: TriggerConfig,
    "http_request": HttpRequestConfig,
    "transform": TransformConfig,
    "filter": ConditionConfig,
    "if": ConditionConfig,
    "switch": SwitchConfig,
    "loop": LoopConfig,
    "delay": DelayConfig,
    "set_variable": SetVariableConfig,
    "respond_to_webhook": RespondConfig,
    "stop_error": StopErrorConfig,
    "crm_create": CrmConfig,
    "crm_update": CrmConfig,
    "provider_action": ProviderActionConfig,
    "table_upsert": TableUpsertConfig,
    "table_lookup": TableLookupConfig,
    "record.to_table": RecordToTableConfig,
}
# Steps whose effect leaves the flow: recorded as started before they run (at most one effect per attempt).
SIDE_EFFECTS = frozenset({"http_request", "crm_create", "crm_update", "provider_action", "table_upsert",
                          "table_lookup", "record.to_table"})
# Errors a retry policy may name.
ErrorKind = Literal["timeout", "network", "http_5xx", "http_4xx", "http_429", "template", "any"]
RETRIED_BY_DEFAULT: tuple[ErrorKind, ...] = ("timeout", "network", "http_5xx", "http_429")


class RetryPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    attempts: int = Field(default=1, ge=1, le=10)
    backoff_s: float = Field(default=1.0, ge=0, le=3600)
    multiplier: float = Field(default=2.0, ge=1, le=10)
    on: list[ErrorKind] = Field(default_factory=lambda: list(RETRIED_BY_DEFAULT))


class Node(BaseModel):
    model_config = ConfigDict(extra="allow")  # editors keep their own fields (position, ...)
    id: str = Field(min_length=1, max_length=100)
    type: str = Field(min_length=1, max_length=60)
    name: str | None = Field(default=None, max_length=200)
    config: dict[str, Any] = Field(default_factory=dict)
    retry: RetryPolicy | None = None


class Edge(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str | None = Field(default=None, max_length=100)
    source: str = Field(min_length=1, max_length=100)
    target: str = Field(min_length=1, max_length=100)
    branch: str | None = Field(default=None, max_length=200)

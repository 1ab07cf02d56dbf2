"""Workflows (one resource for connect-api's "flows" and workflow-api's "workflows"): request models, command
names and the plan limit on workflows per workspace."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from flows_contracts.nodes import Edge, Node

COLLECTION = "workflows"
PREFIX = "wf"
CREATE = "workflow.create"
UPDATE = "workflow.update"
DELETE = "workflow.delete"
DRAFT, PUBLISHED = "draft", "published"
# Live (not deleted) workflows a workspace may hold, by plan (None: no limit).
FLOW_LIMITS: dict[str, int | None] = {"free": 5, "starter": 25, "pro": 200, "business": None}

Status = Literal["draft", "published"]


class WorkflowCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    nodes: list[Node] = Field(default_factory=list, max_length=500)
    edges: list[Edge] = Field(default_factory=list, max_length=2000)
    variables: dict[str, Any] = Field(default_factory=dict)
    status: Status | None = None


class WorkflowUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    nodes: list[Node] | None = Field(default=None, max_length=500)
    edges: list[Edge] | None = Field(default=None, max_length=2000)
    variables: dict[str, Any] | None = None
    status: Status | None = None


class WorkflowListQuery(BaseModel):
    page: int = Field(default=1, ge=1, le=100000)
    limit: int = Field(default=20, ge=1, le=100)
    status: Status | None = None
    search: str | None = Field(default=None, max_length=200)


def flow_limit(plan: str) -> int | None:
    return FLOW_LIMITS.get(plan, FLOW_LIMITS["free"])

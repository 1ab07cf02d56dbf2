"""Workflow aggregate (`wf_...`): a graph of nodes and edges with variables, draft or published, versioned.

Invariants:
- Every saved graph passes the graph rules (workflow_graph); a published one also has exactly one trigger.
- Publishing freezes the current graph as version N (workflow.published carries it); executions record the
  version they ran. Changing the graph of a published workflow makes a new draft, version N+1; the published
  version keeps running until the draft is published in its turn.
- A deleted workflow accepts nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flows.domain.workflow_graph import graph_errors
from flows_contracts import workflows as wx
from flows_contracts.events import Definition, WorkflowCreated, WorkflowDeleted, WorkflowPublished, WorkflowUpdated
from flows_contracts.nodes import Edge, Node
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent

GRAPH = ("nodes", "edges", "variables")


@dataclass(frozen=True)
class Workflow:
    workflow_id: str
    name: str
    definition: dict[str, Any]
    version: int
    status: str
    published: dict[str, Any] | None = None  # {version, definition} of the version new executions run
    deleted: bool = False


def evolve(state: Workflow | None, event: EventEnvelope) -> Workflow | None:
    data = event.data
    if event.type == "workflow.created":
        return Workflow(event.stream_id, data["name"], data["definition"], data["version"], wx.DRAFT)
    if state is None:
        return None
    if event.type == "workflow.updated":
        return replace(state, name=data["changes"].get("name", state.name),
                       definition=data.get("definition") or state.definition, version=data["version"],
                       status=data["status"])
    if event.type == "workflow.published":
        return replace(state, status=wx.PUBLISHED, version=data["version"],
                       published={"version": data["version"], "definition": data["definition"]})
    if event.type == "workflow.deleted":
        return replace(state, deleted=True)
    return state


def fold(events: list[EventEnvelope]) -> Workflow | None:
    state: Workflow | None = None
    for event in events:
        state = evolve(state, event)
    return state


def _definition(data: dict[str, Any]) -> Definition:
    """The graph, checked; a VALIDATION_ERROR listing every error by node when it breaks a rule."""
    nodes = [Node.model_validate(n) for n in data.get("nodes") or []]
    edges = [Edge.model_validate(e) for e in data.get("edges") or []]
    errors = graph_errors(nodes, edges)
    if errors:
        raise CommandRejected("VALIDATION_ERROR", "The workflow is not valid: " + errors[0]["message"]
                              + (f" (node {errors[0]['node']})" if errors[0]["node"] else ""), {"errors": errors})
    return Definition(nodes=[n.model_dump(exclude_none=True) for n in nodes],
                      edges=[e.model_dump(exclude_none=True) for e in edges], variables=data.get("variables") or {})


def decide(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
    """A workflow is created once; a deleted one accepts nothing more."""
    state = fold(events)
    if cmd.type == wx.CREATE:
        if state is not None:
            raise CommandRejected("VALIDATION_ERROR", "The workflow already exists.", {"id": cmd.aggregate_id})
        return _create(cmd.data)
    if state is None or state.deleted:
        raise CommandRejected("NOT_FOUND", "The workflow could not be found.", {"id": cmd.aggregate_id})
    if cmd.type == wx.DELETE:
        return [NewEvent(type="workflow.deleted", data=WorkflowDeleted().model_dump())]
    if cmd.type == wx.UPDATE:
        return _update(state, cmd.data)
    raise CommandRejected("VALIDATION_ERROR", f"unknown command type {cmd.type}")


def _create(data: dict[str, Any]) -> list[NewEvent]:
    publish = data.get("status") == wx.PUBLISHED
    definition = _definition(data)
    created = WorkflowCreated(name=data["name"], description=data.get("description"), definition=definition,
                              version=1)
    new = [NewEvent(type="workflow.created", data=created.model_dump())]
    if publish:
        new.append(NewEvent(type="workflow.published",
                            data=WorkflowPublished(version=1, definition=definition).model_dump()))
    return new


def _update(state: Workflow, data: dict[str, Any]) -> list[NewEvent]:
    """A graph change on a published workflow opens draft N+1; `status: published` freezes the current graph."""
    changes: dict[str, Any] = {k: data[k] for k in ("name", "description") if k in data}
    graph_changed = any(k in data and data[k] is not None for k in GRAPH)
    publish = data.get("status") == wx.PUBLISHED
    merged = {**state.definition, **{k: data[k] for k in GRAPH if data.get(k) is not None}}
    definition = _definition(merged) if graph_changed or publish else None
    version, status = state.version, state.status
    if graph_changed and state.published is not None and state.published["version"] == state.version:
        version = state.version + 1
    if graph_changed or data.get("status") == wx.DRAFT:
        status = wx.DRAFT
    new = []
    if changes or graph_changed or status != state.status:
        updated = WorkflowUpdated(changes=changes, definition=definition if graph_changed else None,
                                  version=version, status=status)
        new.append(NewEvent(type="workflow.updated", data=updated.model_dump()))
    already = (state.status == wx.PUBLISHED and state.published is not None
               and state.published["version"] == version and not graph_changed)
    if publish and definition is not None and not already:
        new.append(NewEvent(type="workflow.published",
                            data=WorkflowPublished(version=version, definition=definition).model_dump()))
    return new


DECIDERS = {wx.CREATE: decide, wx.UPDATE: decide, wx.DELETE: decide}

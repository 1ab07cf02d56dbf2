"""A workflow's graph checked on save, every error pointing at its node (`node`, `path`, `message`).

Rules: node ids unique; at most one trigger (a graph without one runs from an implicit manual trigger, the execute
call: `with_api_trigger`); edges between existing nodes;
each node's config valid against its type's schema; every template and expression parses; no cycle, except
one that goes back into a `loop` node from its body (an explicit loop); branch names fit their node.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from flows.templating.expressions import syntax_error, templates_in
from flows_contracts.nodes import NODE_CONFIGS, TRIGGER, Edge, Node

GraphError = dict[str, Any]
EXPRESSIONS = {"filter": ("condition",), "if": ("condition",), "switch": ("value",), "loop": ("items",)}
BRANCHES = {"if": {"true", "false"}, "loop": {"each", "done"}}


def _error(node: str | None, path: str, message: str) -> GraphError:
    return {"node": node, "path": path, "message": message}


def node_errors(node: Node) -> list[GraphError]:
    """The node's config against its type's schema, and every template in it."""
    model = NODE_CONFIGS.get(node.type)
    if model is None:
        return [_error(node.id, "type", f"unknown node type {node.type!r}")]
    try:
        model.model_validate(node.config)
    except ValidationError as exc:
        return [_error(node.id, "config." + ".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
    errors = []
    bare = EXPRESSIONS.get(node.type, ())
    for field in bare:
        problem = syntax_error(str(node.config[field]), expression=True)
        if problem:
            errors.append(_error(node.id, f"config.{field}", f"the expression does not parse: {problem}"))
    for path, text in templates_in({k: v for k, v in node.config.items() if k not in bare}):
        problem = syntax_error(text)
        if problem:
            errors.append(_error(node.id, f"config.{path}", f"the template does not parse: {problem}"))
    return errors


def _edge_errors(nodes: dict[str, Node], edges: list[Edge]) -> list[GraphError]:
    errors = []
    for i, edge in enumerate(edges):
        for end in ("source", "target"):
            if getattr(edge, end) not in nodes:
                errors.append(_error(getattr(edge, end), f"edges[{i}].{end}", "the edge names no existing node"))
        source = nodes.get(edge.source)
        allowed = BRANCHES.get(source.type) if source else None
        if allowed and edge.branch not in allowed | {"error"}:
            errors.append(_error(edge.source, f"edges[{i}].branch", f"a {source.type} edge's branch is one of "  # type: ignore[union-attr]
                                 f"{sorted(allowed)}"))
        if edge.target in nodes and nodes[edge.target].type == TRIGGER:
            errors.append(_error(edge.target, f"edges[{i}].target", "no edge may lead into the trigger"))
    return errors


def _cycle_errors(nodes: dict[str, Node], edges: list[Edge]) -> list[GraphError]:
    """Depth-first search; an edge back to a node on the path is a cycle unless it enters a loop node."""
    out: dict[str, list[str]] = {n: [] for n in nodes}
    for edge in edges:
        if edge.source in nodes and edge.target in nodes:
            out[edge.source].append(edge.target)
    state: dict[str, int] = {}
    errors: list[GraphError] = []

    def visit(node: str) -> None:
        state[node] = 1
        for nxt in out[node]:
            if state.get(nxt) == 1 and nodes[nxt].type != "loop":
                errors.append(_error(node, "edges", f"the edge to {nxt!r} makes a cycle (only loops may repeat)"))
            elif nxt not in state:
                visit(nxt)
        state[node] = 2

    for node in nodes:
        if node not in state:
            visit(node)
    return errors


def graph_errors(nodes: list[Node], edges: list[Edge]) -> list[GraphError]:
    """Every error of the graph."""
    by_id: dict[str, Node] = {}
    errors: list[GraphError] = []
    for i, node in enumerate(nodes):
        if node.id in by_id:
            errors.append(_error(node.id, f"nodes[{i}].id", "the node id is used twice"))
        by_id[node.id] = node
        errors.extend(node_errors(node))
    triggers = [n.id for n in nodes if n.type == TRIGGER]
    if len(triggers) > 1:
        errors.append(_error(triggers[1], "type", "a workflow has at most one trigger"))
    errors.extend(_edge_errors(by_id, edges))
    errors.extend(_cycle_errors(by_id, edges))
    return errors


API_TRIGGER_IDS = ("trigger", "api_trigger")


def with_api_trigger(graph: dict[str, Any]) -> dict[str, Any]:
    """A graph without a trigger node runs from an implicit manual trigger (the execute call, or a trigger
    subscription) leading to every node no edge leads into, as workflow-api.txt's own example does (an empty
    workflow, published, executed with an input); a graph with a trigger node is returned as it is."""
    nodes = list(graph.get("nodes") or [])
    if any(n.get("type") == TRIGGER for n in nodes):
        return graph
    taken = {n.get("id") for n in nodes}
    trigger_id = next((c for c in API_TRIGGER_IDS if c not in taken), f"trigger_{len(nodes)}")
    edges = list(graph.get("edges") or [])
    led_into = {e.get("target") for e in edges}
    roots = [n["id"] for n in nodes if n.get("id") not in led_into]
    implicit = {"id": trigger_id, "type": TRIGGER, "name": "API call", "config": {"kind": "manual"}}
    return {**graph, "nodes": [implicit, *nodes],
            "edges": [*edges, *({"source": trigger_id, "target": root} for root in roots)]}

"""Workflow decisions, the graph rules, the execution walk and the read models' folds: pure, no I/O."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from flows.domain import workflow
from flows.domain.execution import Execution, fold, recorded_before
from flows.domain.workflow_graph import with_api_trigger
from flows.engine.walk import Finished, RunStep, Wait, Walker
from flows.projections.executions import apply_execution
from flows.projections.workflows import apply_workflow
from flows.templating.expressions import TemplateFailure, evaluate, render
from flows_contracts import workflows as wx
from flows_contracts.events import EVENT_MODELS
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TRIGGER = {"id": "start", "type": "trigger", "config": {"kind": "manual"}}


def cmd(kind: str, data: dict[str, Any]) -> CommandEnvelope:
    return CommandEnvelope(type=kind, aggregate_id="wf_1", workspace_id="ws_1", data=data)


def stamp(new: list[NewEvent], before: list[EventEnvelope], stream: str = "wf_1") -> list[EventEnvelope]:
    events = list(before)
    for event in new:
        events.append(EventEnvelope(type=event.type, stream_id=stream, version=len(events) + 1, workspace_id="ws_1",
                                    occurred_at=T0 + timedelta(seconds=len(events)), command_id="c",
                                    correlation_id="c", causation_id="c", data=event.data))
    return events


def graph(*nodes: dict[str, Any], edges: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"name": "F", "nodes": [TRIGGER, *nodes], "edges": edges if edges is not None else
            [{"source": a["id"], "target": b["id"]} for a, b in zip([TRIGGER, *nodes], nodes, strict=False)]}


def test_publishing_freezes_a_version_and_editing_it_opens_the_next_draft() -> None:
    events = stamp(workflow.decide(cmd(wx.CREATE, {**graph(), "status": "published"}), []), [])
    assert [e.type for e in events] == ["workflow.created", "workflow.published"]
    state = workflow.fold(events)
    assert state is not None and state.status == "published" and state.version == 1
    node = {"id": "t", "type": "transform", "config": {"output": 1}}
    events = stamp(workflow.decide(cmd(wx.UPDATE, graph(node)), events), events)
    state = workflow.fold(events)
    assert state is not None and (state.status, state.version) == ("draft", 2)
    assert state.published is not None and state.published["version"] == 1
    assert len(state.published["definition"]["nodes"]) == 1
    events = stamp(workflow.decide(cmd(wx.UPDATE, {"status": "published"}), events), events)
    state = workflow.fold(events)
    assert state is not None and state.published is not None and state.published["version"] == 2
    assert workflow.decide(cmd(wx.UPDATE, {"status": "published"}), events) == []  # already published


def test_graph_errors_name_the_node() -> None:
    bad = graph({"id": "h", "type": "http_request", "config": {"url": "{{ x"}},
                {"id": "w", "type": "warp", "config": {}},
                edges=[{"source": "start", "target": "h"}, {"source": "h", "target": "start"}])
    with pytest.raises(CommandRejected) as refused:
        workflow.decide(cmd(wx.CREATE, bad), [])
    errors = refused.value.details["errors"]
    found = {(e["node"], e["path"]) for e in errors}
    assert found >= {("h", "config.url"), ("w", "type"), ("start", "edges[1].target")}
    with pytest.raises(CommandRejected, match="at most one trigger"):
        workflow.decide(cmd(wx.CREATE, graph(dict(TRIGGER, id="again"))), [])
    assert workflow.decide(cmd(wx.CREATE, {"name": "x", "nodes": [], "edges": [], "status": "published"}), [])
    loop = graph({"id": "l", "type": "loop", "config": {"items": "trigger.xs"}},
                 {"id": "b", "type": "transform", "config": {"output": "{{ loop.item }}"}},
                 edges=[{"source": "start", "target": "l"}, {"source": "l", "target": "b", "branch": "each"},
                        {"source": "b", "target": "l"}])
    assert workflow.decide(cmd(wx.CREATE, loop), [])  # a cycle back into a loop is its body


def test_a_graph_without_a_trigger_runs_from_an_implicit_one_into_every_root() -> None:
    a, b, c = ({"id": i, "type": "transform", "config": {"output": i}} for i in ("trigger", "b", "c"))
    made = with_api_trigger({"nodes": [a, b, c], "edges": [{"source": "trigger", "target": "b"}]})
    assert made["nodes"][0] == {"id": "api_trigger", "type": "trigger", "name": "API call",
                                "config": {"kind": "manual"}}
    assert made["edges"] == [{"source": "trigger", "target": "b"}, {"source": "api_trigger", "target": "trigger"},
                             {"source": "api_trigger", "target": "c"}]
    assert with_api_trigger({"nodes": [], "edges": []})["nodes"][0]["id"] == "trigger"
    assert with_api_trigger(graph()) == graph()  # a graph with its own trigger is run as it is


def execution(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], data: Any,
              recorded: dict[str, Any] | None = None) -> Execution:
    started = {"workflow_id": "wf_1", "version": 1, "definition": {"nodes": [TRIGGER, *nodes], "edges": edges,
                                                                    "variables": {"n": 1}},
               "trigger": {"type": "manual", "data": data}, "recorded": recorded or {}}
    return Execution("exec_1", "ws_1", started)


def test_walk_runs_pure_steps_and_stops_at_an_outside_one() -> None:
    nodes = [{"id": "t", "type": "transform", "config": {"output": "{{ trigger.a + vars.n }}"}},
             {"id": "h", "type": "http_request", "config": {"url": "http://x/{{ steps.t }}"}}]
    walker = Walker(execution(nodes, [{"source": "start", "target": "t"}, {"source": "t", "target": "h"}], {"a": 2}), 0)
    outcome = walker.walk()
    assert isinstance(outcome, RunStep) and outcome.key == "h" and outcome.input["url"] == "http://x/3"
    # The trigger and the pure step are recorded by their step.succeeded alone; the outside step as started.
    assert [e.type for e in walker.events] == ["step.succeeded"] * 2 + ["step.started"]


def test_loop_keys_each_iteration_and_a_retry_waits() -> None:
    nodes = [{"id": "l", "type": "loop", "config": {"items": "trigger.xs"}},
             {"id": "b", "type": "transform", "config": {"output": "{{ loop.item * 10 }}"}},
             {"id": "end", "type": "transform", "config": {"output": "{{ steps.l.results }}"}}]
    edges = [{"source": "start", "target": "l"}, {"source": "l", "target": "b", "branch": "each"},
             {"source": "b", "target": "l"}, {"source": "l", "target": "end", "branch": "done"}]
    walker = Walker(execution(nodes, edges, {"xs": [1, 2]}), 0)
    outcome = walker.walk()
    assert isinstance(outcome, Finished) and outcome.output == [10, 20]
    assert {e.data["step"] for e in walker.events} == {"start", "l", "b[0]", "b[1]", "end"}
    flaky = [{"id": "t", "type": "transform", "config": {"output": "{{ trigger.x.y }}"},
              "retry": {"attempts": 2, "backoff_s": 5, "on": ["template"]}}]
    walker = Walker(execution(flaky, [{"source": "start", "target": "t"}], {}), 100.0)
    outcome = walker.walk()
    assert outcome == Wait(105.0)


def test_replay_keeps_recorded_outputs_before_the_named_step() -> None:
    events = stamp([NewEvent(type="execution.started", data={"workflow_id": "wf", "version": 1,
                                                             "definition": {"nodes": [], "edges": [], "variables": {}},
                                                             "trigger": {}}),
                    NewEvent(type="step.succeeded", data={"step": "a", "node_id": "a", "attempt": 1, "output": 1}),
                    NewEvent(type="step.started", data={"step": "b", "node_id": "b", "attempt": 1}),
                    NewEvent(type="step.failed", data={"step": "b", "node_id": "b", "attempt": 1, "error": {}})],
                   [], "exec_1")
    assert recorded_before(events, "b") == {"a": {"output": 1, "branch": None}}
    assert recorded_before(events, "a") == {}  # a pure step's first event (its step.succeeded) is its start
    assert recorded_before(events, "zzz") is None
    state = fold(events)
    assert state is not None and state.steps["b"].status == "failed"


def test_read_models_are_the_same_folded_at_once_or_one_by_one() -> None:
    events = stamp(workflow.decide(cmd(wx.CREATE, {**graph(), "status": "published"}), []), [])
    doc = None
    for event in events:
        doc = apply_workflow(doc, event)
    assert doc == apply_workflow(apply_workflow(None, events[0]), events[1]) and doc["status"] == "published"
    run = stamp([NewEvent(type="execution.started", data={"workflow_id": "wf_1", "version": 1, "trigger": {}}),
                 NewEvent(type="step.started", data={"step": "a", "node_id": "a", "node_type": "http_request",
                                                     "attempt": 1}),
                 NewEvent(type="step.succeeded", data={"step": "a", "node_id": "a", "node_type": "http_request",
                                                       "attempt": 1, "output": 2, "duration_ms": 1.0}),
                 NewEvent(type="execution.completed", data={"output": 2})], [], "exec_1")
    first, second = None, None
    for event in run:
        first = apply_execution(first, event)
    for event in run:
        second = apply_execution(second, event)
    assert first == second and first is not None and first["status"] == "completed"
    assert first["steps"][0]["status"] == "succeeded" and first["duration_ms"] == 3000.0


def test_templates_are_sandboxed_and_bounded() -> None:
    assert render({"a": "{{ x.items }}", "b": "n={{ x.n }}"}, {"x": {"items": [1], "n": 2}}) == {"a": [1], "b": "n=2"}
    assert render({"r": "{{ range(3) }}", "k": "{{ {1: (2, 3)} }}"}, {}) == {"r": [0, 1, 2], "k": {"1": [2, 3]}}
    with pytest.raises(TemplateFailure, match="unsafe"):
        evaluate("x.__class__.__mro__", {"x": 1})
    with pytest.raises(TemplateFailure, match="range"):
        render("{% for i in range(100000) %}{% endfor %}", {})
    with pytest.raises(TemplateFailure, match="longer than"):
        render("{% for i in range(9999) %}{% for j in range(9999) %}{{ j }}{% endfor %}{% endfor %}", {})


def test_every_event_version_fixture_still_loads() -> None:
    """A stored payload of every workflow and execution event type (version 1) validates against its model."""
    fixtures = json.loads((Path(__file__).parent / "fixtures" / "flows_core_events_v1.json").read_text())
    assert set(fixtures) == set(EVENT_MODELS)
    for event_type, data in fixtures.items():
        model = EVENT_MODELS[event_type]
        assert model.schema_version == 1 and model.model_validate(data).model_dump(mode="json") == data, event_type

"""Parallel branches of the execution walk: a fan-out's outside steps come out together (bounded), a merge joins
every branch that may still arrive, an if's branch not taken is not waited for, a delay holds only its branch.
Pure: the walk over a state folded from the events recorded so far."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flows.domain.execution import Execution, StepRecord
from flows.engine.branches import Graph
from flows.engine.walk import Finished, RunStep, RunSteps, Wait, Walker

TRIGGER = {"id": "start", "type": "trigger", "config": {"kind": "manual"}}


def http(node_id: str) -> dict[str, Any]:
    return {"id": node_id, "type": "http_request", "config": {"url": f"http://x/{node_id}"}}


def merge(node_id: str, *reads: str) -> dict[str, Any]:
    return {"id": node_id, "type": "transform", "config": {"output": {r: f"{{{{ steps.{r} }}}}" for r in reads}}}


def execution(nodes: list[dict[str, Any]], edges: list[tuple[str, str] | tuple[str, str, str]],
              data: Any = None) -> Execution:
    wired = [{"source": e[0], "target": e[1], **({"branch": e[2]} if len(e) > 2 else {})} for e in edges]
    started = {"workflow_id": "wf_1", "version": 1, "trigger": {"type": "manual", "data": data or {}},
               "definition": {"nodes": [TRIGGER, *nodes], "edges": wired, "variables": {}}}
    return Execution("exec_1", "ws_1", started)


def walked(state: Execution, now: float = 0.0, parallel: int = 8) -> tuple[Any, Execution]:
    """The walk's outcome and the state with what it recorded."""
    walker = Walker(state, now, parallel)
    return walker.walk(), replace(state, steps=walker.steps)


def succeeded(state: Execution, *keys: str) -> Execution:
    return replace(state, steps={**state.steps, **{k: StepRecord("succeeded", 1, f"out-{k}") for k in keys}})


FAN = [http("a"), http("b"), merge("m", "a", "b")]
FAN_EDGES: list[Any] = [("start", "a"), ("start", "b"), ("a", "m"), ("b", "m")]


def test_a_fan_out_runs_its_outside_steps_together_and_the_merge_joins_both() -> None:
    outcome, state = walked(execution(FAN, FAN_EDGES))
    assert isinstance(outcome, RunSteps) and [s.key for s in outcome.steps] == ["a", "b"]
    assert state.steps["a"].status == state.steps["b"].status == "started"
    outcome, state = walked(succeeded(state, "a"))
    assert isinstance(outcome, RunStep) and outcome.key == "b"  # the same attempt, not started again
    assert "m" not in state.steps  # the merge waits for b
    outcome, state = walked(succeeded(state, "b"))
    assert isinstance(outcome, Finished) and outcome.output == {"a": "out-a", "b": "out-b"}


def test_the_round_is_bounded_and_the_rest_run_in_the_next() -> None:
    nodes = [http(n) for n in "abc"]
    outcome, state = walked(execution(nodes, [("start", n) for n in "abc"]), parallel=2)
    assert isinstance(outcome, RunSteps) and [s.key for s in outcome.steps] == ["a", "b"]
    assert "c" not in state.steps  # not recorded as started until its round
    outcome, _ = walked(succeeded(state, "a", "b"), parallel=2)
    assert isinstance(outcome, RunStep) and outcome.key == "c"


def test_a_delay_holds_only_its_branch() -> None:
    nodes = [{"id": "d", "type": "delay", "config": {"seconds": 60}}, http("h"), http("after"), merge("m", "h")]
    edges: list[Any] = [("start", "d"), ("start", "h"), ("d", "after"), ("after", "m"), ("h", "m")]
    outcome, state = walked(execution(nodes, edges), now=100.0)
    assert isinstance(outcome, RunStep) and outcome.key == "h"
    outcome, state = walked(succeeded(state, "h"), now=101.0)
    assert outcome == Wait(160.0) and "m" not in state.steps  # the merge waits for the delayed branch


def test_an_if_outcome_not_taken_is_not_waited_for() -> None:
    nodes = [{"id": "check", "type": "if", "config": {"condition": "trigger.big"}}, http("yes"), http("no"),
             merge("m", "check")]
    edges: list[Any] = [("start", "check"), ("check", "yes", "true"), ("check", "no", "false"), ("yes", "m"),
                        ("no", "m")]
    outcome, state = walked(execution(nodes, edges, {"big": True}))
    assert isinstance(outcome, RunStep) and outcome.key == "yes"
    outcome, _ = walked(succeeded(state, "yes"))
    assert isinstance(outcome, Finished) and outcome.output == {"check": {"result": True}}


def test_an_unequal_fan_out_of_pure_steps_joins_after_the_longer_branch() -> None:
    nodes = [merge("a"), merge("b1"), merge("b2", "b1"), merge("m", "a", "b2")]
    edges: list[Any] = [("start", "a"), ("start", "b1"), ("b1", "b2"), ("a", "m"), ("b2", "m")]
    outcome, state = walked(execution(nodes, edges))
    assert isinstance(outcome, Finished) and outcome.output == {"a": {}, "b2": {"b1": {}}}
    assert list(state.steps) == ["start", "a", "b1", "b2", "m"]


def test_a_merge_is_joinable_when_no_predecessor_is_reachable_from_an_open_node() -> None:
    graph = Graph.of([{"source": "s", "target": "a"}, {"source": "s", "target": "b"}, {"source": "a", "target": "m"},
                      {"source": "b", "target": "m"}, {"source": "m", "target": "z"}])
    assert graph.joins == {"m": {"a", "b"}}
    assert not graph.joinable("m", ["b"], None) and graph.joinable("m", ["z"], None)
    assert graph.joinable("m", [], None) and graph.joinable("a", ["b"], None)

"""Flows engine end to end on the real stack (gateway, flows, connections; Kafka and a MongoDB-protocol server):
workflows through their documented routes, each node type run by the engine, branches and loops, template
errors at the node, retries and error paths, delays, replay, test runs, listings and task history. Outside calls
go to a real HTTP receiver that applies each Idempotency-Key once and counts calls per key."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from conftest import create_workspace
from gateway.catalogue import load_operations
from tests.flows_edge import FlowsEdge, flows_edge
from tests.flows_receiver import FlowReceiver, flow_receiver

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
TERMINAL = {"completed", "failed", "cancelled"}


def example(operation_id: str) -> Any:
    return next(op.request_example for op in load_operations() if op.operation_id == operation_id)


@pytest_asyncio.fixture(scope="module")
async def edge(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FlowsEdge]:
    async with flows_edge(Path(tmp_path_factory.mktemp("flows_engine"))) as running:
        yield running


@pytest_asyncio.fixture
async def rx() -> AsyncIterator[FlowReceiver]:
    async with flow_receiver() as receiver:
        yield receiver


def trigger(node_id: str = "start") -> dict[str, Any]:
    return {"id": node_id, "type": "trigger", "config": {"kind": "manual"}}


def chain(*ids: str) -> list[dict[str, Any]]:
    return [{"source": a, "target": b} for a, b in itertools.pairwise(ids)]


async def make_flow(edge: FlowsEdge, nodes: list[dict[str, Any]], edges: list[dict[str, Any]],
                    publish: bool = True, name: str = "Flow") -> str:
    body = {"name": name, "nodes": nodes, "edges": edges, **({"status": "published"} if publish else {})}
    status, answer = await edge.call("POST", "/v1/workflows", body)
    assert status == 201, answer
    return str(answer["data"]["id"])


async def finished(edge: FlowsEdge, execution_id: str, timeout: float = 45.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status, body = await edge.call("GET", f"/v1/executions/{execution_id}")
        if status == 200 and body["data"]["status"] in TERMINAL:
            return dict(body["data"])
        assert time.monotonic() < deadline, body
        await asyncio.sleep(0.1)


async def run(edge: FlowsEdge, flow_id: str, data: dict[str, Any]) -> dict[str, Any]:
    status, body = await edge.call("POST", f"/v1/workflows/{flow_id}/execute", {"input": data})
    assert status == 200 and body["data"]["status"] == "running", body
    return await finished(edge, body["data"]["execution_id"])


async def steps(edge: FlowsEdge, flow_id: str, execution_id: str) -> dict[str, dict[str, Any]]:
    status, body = await edge.call("GET", f"/connect/v1/flows/{flow_id}/executions/{execution_id}/steps")
    assert status == 200, body
    return {s["step"]: s for s in body["data"]}


def http(node_id: str, url: str, body: Any = None, **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "http_request", "config": {"method": "POST", "url": url, "body": body}, **extra}


async def test_documented_workflow_examples(edge: FlowsEdge) -> None:
    status, body = await edge.call("POST", "/v1/workflows", example("createWorkflow"))
    assert status == 201 and body["success"] is True, body
    made = body["data"]
    assert made["name"] == "New Workflow" and made["status"] == "draft" and made["nodes"] == [] and made["version"] == 1
    status, body = await edge.call("GET", f"/v1/workflows/{made['id']}")
    assert status == 200 and set(body["data"]) >= {"id", "name", "description", "status", "nodes", "edges",
                                                    "variables", "created_at"}
    status, body = await edge.call("PATCH", f"/v1/workflows/{made['id']}",
                                   {"nodes": [trigger(), {"id": "t", "type": "transform", "config": {"output": 1}}],
                                    "edges": chain("start", "t")})
    assert status == 200 and body["data"]["status"] == "draft", body
    status, body = await edge.call("PATCH", f"/v1/workflows/{made['id']}", example("updateWorkflow"))
    assert status == 200 and body["data"]["name"] == "Updated Name" and body["data"]["status"] == "published"
    status, body = await edge.call("GET", "/v1/workflows?status=published&search=updated&page=1&limit=20")
    assert status == 200 and [w["id"] for w in body["data"]] == [made["id"]] and body["meta"]["total"] == 1
    status, body = await edge.call("POST", f"/v1/workflows/{made['id']}/execute", example("executeWorkflow"))
    assert status == 200 and set(body["data"]) >= {"execution_id", "status", "started_at"}, body
    done = await finished(edge, body["data"]["execution_id"])
    assert done["status"] == "completed" and done["output"] == 1 and done["workflow_id"] == made["id"]
    assert set(done) >= {"id", "workflow_id", "status", "started_at", "completed_at", "output", "logs"}
    events, _ = await edge.flows.store.load(done["id"])
    assert [e.type for e in events][-2:] == ["execution.completed", "workflow.executed"]  # workflow-api's webhook
    assert events[-1].data["workflow_id"] == made["id"] and events[-1].data["status"] == "completed"
    status, body = await edge.call("DELETE", f"/v1/workflows/{made['id']}")
    assert status == 200 and body["data"] == {"id": made["id"], "deleted": True}
    status, body = await edge.call("GET", f"/v1/workflows/{made['id']}")
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"
    status, body = await edge.call("GET", f"/v1/workflows/{made['id']}", key=edge.other_key)
    assert status == 404


async def test_the_documented_examples_in_their_order_publish_and_run_an_empty_workflow(edge: FlowsEdge) -> None:
    """Created as documented (no nodes), published and executed as documented: it runs from its implicit manual
    trigger (the execute call) and completes with its input."""
    status, body = await edge.call("POST", "/v1/workflows", example("createWorkflow"))
    assert status == 201, body
    flow_id = body["data"]["id"]
    status, body = await edge.call("PATCH", f"/v1/workflows/{flow_id}", example("updateWorkflow"))
    assert status == 200 and body["data"]["status"] == "published" and body["data"]["nodes"] == [], body
    status, body = await edge.call("POST", f"/v1/workflows/{flow_id}/execute", example("executeWorkflow"))
    assert status == 200 and body["data"]["status"] == "running", body
    done = await finished(edge, body["data"]["execution_id"])
    assert done["status"] == "completed" and done["output"] == example("executeWorkflow")["input"], done


async def test_transform_branch_switch_variable_and_http(edge: FlowsEdge, rx: FlowReceiver) -> None:
    nodes = [trigger(),
             {"id": "shape", "type": "transform", "config": {"output": {"email": "{{ trigger.email | lower }}",
                                                                       "big": "{{ trigger.amount > 100 }}"}}},
             {"id": "var", "type": "set_variable", "config": {"name": "tier", "value": "{{ trigger.tier }}"}},
             {"id": "check", "type": "if", "config": {"condition": "steps.shape.big"}},
             http("yes", rx.url + "/big", {"email": "{{ steps.shape.email }}", "tier": "{{ vars.tier }}"}),
             http("no", rx.url + "/small", {"email": "{{ steps.shape.email }}"}),
             {"id": "route", "type": "switch", "config": {"value": "vars.tier", "cases": ["gold", "silver"]}},
             {"id": "gold", "type": "transform", "config": {"output": "gold for {{ steps.yes.body.echo.email }}"}},
             {"id": "other", "type": "transform", "config": {"output": "other"}}]
    edges = [
        *chain("start", "shape", "var", "check"),
        {"source": "check", "target": "yes", "branch": "true"}, {"source": "check", "target": "no", "branch": "false"},
        {"source": "yes", "target": "route"}, {"source": "route", "target": "gold", "branch": "gold"},
        {"source": "route", "target": "other", "branch": "default"}]
    flow = await make_flow(edge, nodes, edges)
    done = await run(edge, flow, {"email": "Ann@Example.COM", "amount": 250, "tier": "gold"})
    assert done["status"] == "completed" and done["output"] == "gold for ann@example.com", done
    assert [e["body"] for e in rx.effects_on("/big")] == [{"email": "ann@example.com", "tier": "gold"}]
    assert rx.effects_on("/small") == []
    ran = await steps(edge, flow, done["id"])
    assert set(ran) == {"start", "shape", "var", "check", "yes", "route", "gold"}
    assert ran["check"]["output"] == {"result": True} and ran["route"]["output"]["case"] == "gold"
    assert ran["yes"]["input"]["url"] == rx.url + "/big" and ran["yes"]["attempt"] == 1
    key = f"{done['id']}:yes:1"
    assert rx.calls[key] == 1 and rx.effects_on("/big")[0]["key"] == key
    done = await run(edge, flow, {"email": "b@x.io", "amount": 5, "tier": "silver"})
    assert done["status"] == "completed" and [e["body"] for e in rx.effects_on("/small")] == [{"email": "b@x.io"}]
    assert "route" not in await steps(edge, flow, done["id"])


async def test_loop_filter_and_respond(edge: FlowsEdge, rx: FlowReceiver) -> None:
    nodes = [trigger(),
             {"id": "each", "type": "loop", "config": {"items": "trigger.items"}},
             {"id": "only_even", "type": "filter", "config": {"condition": "loop.item % 2 == 0"}},
             http("send", rx.url + "/item", {"n": "{{ loop.item }}", "i": "{{ loop.index }}"}),
             {"id": "answer", "type": "respond_to_webhook",
              "config": {"status": 201, "body": {"count": "{{ steps.each.count }}"}}}]
    edges = [{"source": "start", "target": "each"}, {"source": "each", "target": "only_even", "branch": "each"},
             {"source": "only_even", "target": "send"}, {"source": "send", "target": "each"},
             {"source": "each", "target": "answer", "branch": "done"}]
    flow = await make_flow(edge, nodes, edges)
    done = await run(edge, flow, {"items": [1, 2, 3, 4]})
    assert done["status"] == "completed", (done["error"], done["logs"])
    assert sorted(e["body"]["n"] for e in rx.effects_on("/item")) == [2, 4]
    assert done["response"] == {"status": 201, "body": {"count": 4}, "headers": {}}
    ran = await steps(edge, flow, done["id"])
    assert {"send[1]", "send[3]", "only_even[0]"} <= set(ran) and "send[0]" not in ran
    assert ran["only_even[0]"]["output"] == {"passed": False}


async def test_template_errors_point_at_the_node(edge: FlowsEdge) -> None:
    bad = [trigger(), {"id": "t1", "type": "transform", "config": {"output": {"x": "{{ trigger.name | upper"}}},
           {"id": "c1", "type": "if", "config": {"condition": "trigger.a >"}},
           {"id": "h1", "type": "http_request", "config": {"url": ""}}]
    status, body = await edge.call("POST", "/v1/workflows", {"name": "Bad", "nodes": bad, "edges": []})
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR", body
    errors = {(e["node"], e["path"]) for e in body["error"]["details"]["errors"]}
    assert {("t1", "config.output.x"), ("c1", "config.condition"), ("h1", "config.url")} <= errors, errors
    cyclic = [trigger(), {"id": "a", "type": "transform", "config": {}}, {"id": "b", "type": "transform", "config": {}}]
    status, body = await edge.call("POST", "/v1/workflows", {"name": "Cycle", "nodes": cyclic,
                                                             "edges": chain("start", "a", "b", "a")})
    assert status == 422 and "cycle" in body["error"]["message"], body
    status, body = await edge.call("POST", "/v1/workflows", {"name": "Two", "nodes": [trigger(), trigger("t2")],
                                                             "edges": [{"source": "start", "target": "nowhere"}]})
    assert status == 422 and {e["node"] for e in body["error"]["details"]["errors"]} == {"t2", "nowhere"}, body
    # Parses, but fails on the data it runs with: the execution fails at that node with the template's error.
    deref = {"id": "t1", "type": "transform", "config": {"output": "{{ trigger.customer.name }}"}}
    flow = await make_flow(edge, [trigger(), deref], chain("start", "t1"))
    done = await run(edge, flow, {"customer": None})
    assert done["status"] == "failed" and done["error"]["node"] == "t1" and done["failed_step"] == "t1", done
    assert done["error"]["code"] == "TEMPLATE_ERROR" and "name" in done["error"]["message"]
    ran = await steps(edge, flow, done["id"])
    assert ran["t1"]["status"] == "failed" and ran["t1"]["error"]["kind"] == "template"


async def test_retry_policy_then_error_path(edge: FlowsEdge, rx: FlowReceiver) -> None:
    retried = http("call", rx.url + "/flaky", {"a": 1},
                   retry={"attempts": 3, "backoff_s": 0.2, "multiplier": 1, "on": ["http_5xx"]})
    flow = await make_flow(edge, [trigger(), retried], chain("start", "call"))
    rx.script = [503, 500]
    done = await run(edge, flow, {})
    assert done["status"] == "completed" and done["output"]["status"] == 200, done
    keys = [k for k in rx.calls if k.startswith(done["id"])]
    assert sorted(keys) == [f"{done['id']}:call:{n}" for n in (1, 2, 3)] and len(rx.effects_on("/flaky")) == 1
    assert (await steps(edge, flow, done["id"]))["call"]["attempt"] == 3
    # A 4xx is not retried by that policy: the error edge runs, with the error in templates.
    nodes = [trigger(), http("call", rx.url + "/refused", retry={"attempts": 3, "on": ["http_5xx"]}),
             http("alert", rx.url + "/alert", {"failed": "{{ error.node }}", "code": "{{ error.code }}"})]
    flow = await make_flow(edge, nodes, [{"source": "start", "target": "call"},
                                         {"source": "call", "target": "alert", "branch": "error"}])
    rx.fail_paths["/refused"] = 404
    done = await run(edge, flow, {})
    assert done["status"] == "completed", done
    assert [e["body"] for e in rx.effects_on("/alert")] == [{"failed": "call", "code": "HTTP_404"}]
    assert rx.calls[f"{done['id']}:call:1"] == 1 and f"{done['id']}:call:2" not in rx.calls


async def test_delay_stop_error_and_cross_workspace(edge: FlowsEdge, rx: FlowReceiver) -> None:
    nodes = [trigger(), {"id": "wait", "type": "delay", "config": {"seconds": 1.2}},
             http("after", rx.url + "/after", {"x": 1}),
             {"id": "halt", "type": "stop_error", "config": {"message": "stop for {{ trigger.who }}", "code": "HALT"}}]
    flow = await make_flow(edge, nodes, chain("start", "wait", "after", "halt"))
    began = time.monotonic()
    done = await run(edge, flow, {"who": "ann"})
    assert time.monotonic() - began >= 1.2
    assert done["status"] == "failed" and done["error"]["code"] == "HALT" and done["error"]["message"] == "stop for ann"
    ran = await steps(edge, flow, done["id"])
    assert ran["wait"]["status"] == "succeeded" and len(rx.effects_on("/after")) == 1
    status, body = await edge.call("GET", f"/v1/executions/{done['id']}", key=edge.other_key)
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"
    status, _ = await edge.call("POST", f"/v1/workflows/{flow}/execute", {"input": {}}, key=edge.other_key)
    assert status == 404


async def test_replay_from_a_failed_step_after_fixing_the_cause(edge: FlowsEdge, rx: FlowReceiver) -> None:
    nodes = [trigger(), http("first", rx.url + "/first", {"v": "{{ trigger.v }}"}),
             http("second", rx.url + "/second", {"n": "{{ steps.first.body.n }}", "v": "{{ trigger.v }}"})]
    flow = await make_flow(edge, nodes, chain("start", "first", "second"))
    rx.fail_paths["/second"] = 500
    failed = await run(edge, flow, {"v": 1})
    assert failed["status"] == "failed" and failed["failed_step"] == "second", failed
    del rx.fail_paths["/second"]
    path = f"/connect/v1/flows/{flow}/executions/{failed['id']}/replay"
    status, body = await edge.call("POST", path, {"fromStep": "second", "triggerData": {"v": 2}})
    assert status == 202 and body["data"]["replayOf"] == failed["id"], body
    replayed = await finished(edge, body["data"]["executionId"])
    assert replayed["status"] == "completed" and replayed["replay_of"] == failed["id"], replayed
    assert len(rx.effects_on("/first")) == 1  # its recorded output was reused, not called again
    assert [e["body"] for e in rx.effects_on("/second")] == [{"n": 1, "v": 2}]
    ran = await steps(edge, flow, replayed["id"])
    assert ran["first"]["recorded"] is True and ran["second"]["recorded"] is False
    status, body = await edge.call("POST", path, {})  # from the start, original version and trigger
    assert status == 202
    again = await finished(edge, body["data"]["executionId"])
    assert again["status"] == "completed" and len(rx.effects_on("/first")) == 2
    status, body = await edge.call("POST", path, {"fromStep": "nope"})
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR"


async def test_bulk_replay_of_failed_executions(edge: FlowsEdge, rx: FlowReceiver) -> None:
    flow = await make_flow(edge, [trigger(), http("call", rx.url + "/bulk", {"i": "{{ trigger.i }}"})],
                           chain("start", "call"))
    rx.fail_paths["/bulk"] = 500
    since = time.time() - 1
    failed = [await run(edge, flow, {"i": i}) for i in range(3)]
    assert {f["status"] for f in failed} == {"failed"}
    del rx.fail_paths["/bulk"]
    window = {"from": _iso(since), "to": _iso(time.time() + 1)}
    status, body = await edge.call("POST", f"/connect/v1/flows/{flow}/executions/replay-failed", window)
    assert status == 202 and body["data"]["count"] == 3, body
    done = [await finished(edge, e["executionId"]) for e in body["data"]["executions"]]
    assert {d["status"] for d in done} == {"completed"} and sorted(e["body"]["i"] for e in rx.effects) == [0, 1, 2]


async def test_test_run_listings_and_task_history(edge: FlowsEdge, rx: FlowReceiver) -> None:
    double = {"id": "t", "type": "transform", "config": {"output": "{{ trigger.n * 2 }}"}}
    flow = await make_flow(edge, [trigger(), double], chain("start", "t"), publish=False, name="Draft only")
    status, body = await edge.call("POST", f"/connect/v1/flows/{flow}/test", {"n": 21})
    assert status == 200 and body["data"]["status"] == "completed" and body["data"]["output"] == 42, body
    assert [s["nodeId"] for s in body["data"]["steps"]] == ["start", "t"]
    ok = await run(edge, flow, {"n": 1})
    bad = await run(edge, flow, {"n": None})
    assert ok["status"] == "completed" and bad["status"] == "failed"
    status, body = await edge.call("GET", f"/v1/workflows/{flow}/executions?status=failed")
    assert status == 200 and [e["id"] for e in body["data"]] == [bad["id"]], body
    status, body = await edge.call("GET", f"/v1/workflows/{flow}/executions?from={_iso(time.time() + 60)}")
    assert status == 200 and body["data"] == []
    status, body = await edge.call("GET", "/v1/executions?limit=1")
    assert status == 200 and len(body["data"]) == 1 and body["meta"]["has_more"] is True
    status, body2 = await edge.call("GET", f"/v1/executions?limit=1&cursor={body['next_cursor']}")
    assert status == 200 and body2["data"][0]["id"] != body["data"][0]["id"]
    status, body = await edge.call("GET", f"/connect/v1/task-history?page=1&status=failed&flowId={flow}")
    assert status == 200 and [t["id"] for t in body["data"]] == [bad["id"]] and body["meta"]["total"] == 1, body
    assert body["data"][0]["flowId"] == flow and body["data"][0]["failedSteps"] == ["t"]
    status, body = await edge.call("GET", f"/connect/v1/flows/{flow}/executions")
    assert status == 200 and {e["id"] for e in body["data"]} >= {ok["id"], bad["id"]}
    status, body = await edge.call("GET", "/connect/v1/task-history", key=edge.other_key)
    assert status == 200 and body["data"] == []


def _iso(ts: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_versions_run_as_published_and_the_plan_limits_flows(edge: FlowsEdge) -> None:
    one = [trigger(), {"id": "t", "type": "transform", "config": {"output": "v1"}}]
    flow = await make_flow(edge, one, chain("start", "t"))
    two = [trigger(), {"id": "t", "type": "transform", "config": {"output": "v2"}}]
    status, body = await edge.call("PATCH", f"/v1/workflows/{flow}", {"nodes": two})
    assert status == 200 and (body["data"]["status"], body["data"]["version"]) == ("draft", 2), body
    assert body["data"]["published_version"] == 1
    done = await run(edge, flow, {})
    assert (done["output"], done["version"]) == ("v1", 1)  # the published version runs until the draft is published
    status, body = await edge.call("POST", f"/connect/v1/flows/{flow}/test", {})
    assert body["data"]["output"] == "v2"  # a test runs the draft
    status, body = await edge.call("PATCH", f"/v1/workflows/{flow}", {"status": "published"})
    assert status == 200 and body["data"]["published_version"] == 2
    done_v2 = await run(edge, flow, {})
    assert (done_v2["output"], done_v2["version"]) == ("v2", 2)
    status, body = await edge.call("POST", f"/connect/v1/flows/{flow}/executions/{done['id']}/replay",
                                   {"version": "current"})
    assert (await finished(edge, body["data"]["executionId"]))["output"] == "v2"
    _, free_key = await create_workspace(edge.stack.gateway, "Free plan", plan="free")
    made = [await edge.call("POST", "/v1/workflows", {"name": f"F{n}"}, key=free_key) for n in range(6)]
    assert [s for s, _ in made] == [201] * 5 + [403]
    assert made[-1][1]["error"]["code"] == "FORBIDDEN" and made[-1][1]["error"]["details"]["limit"] == 5


async def test_cancel_a_waiting_execution(edge: FlowsEdge, rx: FlowReceiver) -> None:
    nodes = [trigger(), {"id": "wait", "type": "delay", "config": {"seconds": 30}}, http("after", rx.url + "/late")]
    flow = await make_flow(edge, nodes, chain("start", "wait", "after"))
    status, body = await edge.call("POST", f"/v1/workflows/{flow}/execute", {"input": {}})
    execution_id = body["data"]["execution_id"]
    deadline = time.monotonic() + 30
    while True:
        status, body = await edge.call("GET", f"/connect/v1/flows/{flow}/executions/{execution_id}/steps")
        if status == 200 and any(s["status"] == "waiting" for s in body["data"]):
            break
        assert time.monotonic() < deadline, body
        await asyncio.sleep(0.1)
    status, body = await edge.call("POST", f"/v1/executions/{execution_id}/cancel", key=edge.other_key)
    assert status == 404
    status, body = await edge.call("POST", f"/v1/executions/{execution_id}/cancel")
    assert status == 200 and body["data"]["status"] == "cancelled", body
    done = await finished(edge, execution_id)
    assert done["status"] == "cancelled" and rx.effects_on("/late") == []
    status, body = await edge.call("POST", f"/v1/executions/{execution_id}/cancel")
    assert status == 422 and body["error"]["details"]["status"] == "cancelled"


async def test_an_execution_the_engine_keeps_failing_on_ends_failed(edge: FlowsEdge) -> None:
    flow = await make_flow(edge, [trigger()], [])
    started = {"workflow_id": flow, "workflow_name": "Flow", "version": 1, "draft": False, "source": "api",
               "definition": {"nodes": [trigger()], "edges": [], "variables": {}}, "trigger": {"type": "manual"}}
    row = {"_id": "exec_enginefailedfivetimes00", "workspace_id": edge.workspace_id, "due_at": 0.0,
           "lease_until": 0.0, "lease_token": None, "engine_errors": 5, "start": {"data": started, "actor": {}}}
    await edge.flows.db["execution_runs"].insert_one(row)  # as five failed engine runs leave it
    done = await finished(edge, row["_id"])
    assert done["status"] == "failed" and done["error"]["code"] == "ENGINE_ERROR", done

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
    status, body = await edge.call("PATCH", f"/v1/workflows/{made['id']}", example("updateWorkflow"))
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR", body  # nothing to publish: no trigger
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
    status, body = await edge.call("DELETE", f"/v1/workflows/{made['id']}")
    assert status == 200 and body["data"] == {"id": made["id"], "deleted": True}
    status, body = await edge.call("GET", f"/v1/workflows/{made['id']}")
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"
    status, body = await edge.call("GET", f"/v1/workflows/{made['id']}", key=edge.other_key)
    assert status == 404


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

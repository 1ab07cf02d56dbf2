"""Flow steps that act through other services, end to end on the real stack: create and update a CRM contact
(the crm's command on crm.commands), a provider action through the connections service's proxy (the flows
provider simulator counts calls per Idempotency-Key), and `record.to_table` / row upsert / row lookup through
the sync service's tables."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from conftest import start_sync
from tests.flows_edge import SIM, FlowsEdge, flows_edge

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


@pytest_asyncio.fixture(scope="module")
async def edge(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FlowsEdge]:
    async with flows_edge(Path(tmp_path_factory.mktemp("flows_steps")), with_crm=True) as running:
        sync = await start_sync(running.stack)
        try:
            yield running
        finally:
            await sync.stop()


async def flow_run(edge: FlowsEdge, nodes: list[dict[str, Any]], data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    nodes = [{"id": "start", "type": "trigger", "config": {"kind": "manual"}}, *nodes]
    edges = [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(nodes)]
    status, body = await edge.call("POST", "/v1/workflows", {"name": "Steps", "nodes": nodes, "edges": edges,
                                                             "status": "published"})
    assert status == 201, body
    flow = body["data"]["id"]
    status, body = await edge.call("POST", f"/v1/workflows/{flow}/execute", {"input": data})
    assert status == 200, body
    execution_id = body["data"]["execution_id"]
    deadline = time.monotonic() + 60
    while True:
        status, body = await edge.call("GET", f"/v1/executions/{execution_id}")
        if status == 200 and body["data"]["status"] in ("completed", "failed"):
            return flow, body["data"]
        assert time.monotonic() < deadline, body
        await asyncio.sleep(0.2)


async def steps_of(edge: FlowsEdge, flow: str, execution_id: str) -> dict[str, Any]:
    status, body = await edge.call("GET", f"/connect/v1/flows/{flow}/executions/{execution_id}/steps")
    assert status == 200
    return {s["step"]: s for s in body["data"]}


async def test_crm_create_and_update(edge: FlowsEdge) -> None:
    nodes = [{"id": "lead", "type": "crm_create", "config": {"resource": "contact", "data": {
                "name": "{{ trigger.name }}", "email": "{{ trigger.email }}"}}}]
    _, done = await flow_run(edge, nodes, {"name": "Ann Lee", "email": "ann@example.com"})
    assert done["status"] == "completed", done
    made = done["output"]
    assert made["id"].startswith("con_") and made["resource"]["email"] == "ann@example.com", made
    status, body = await edge.call("GET", "/v1/contacts?search=ann")
    assert status == 200 and made["id"] in [c["id"] for c in body["data"]], body
    nodes = [{"id": "todo", "type": "crm_create", "config": {"resource": "task", "data": {
                "title": "Call {{ trigger.name }}", "related_resource_type": "contact",
                "related_resource_id": "{{ trigger.id }}"}}},
             {"id": "close", "type": "crm_update", "config": {"resource": "task", "id": "{{ steps.todo.id }}",
                                                              "data": {"title": "Called {{ trigger.name }}"}}}]
    _flow, done = await flow_run(edge, nodes, {"id": made["id"], "name": "Ann"})
    assert done["status"] == "completed", done["error"]
    assert done["output"]["resource"]["title"] == "Called Ann", done["output"]
    nodes = [{"id": "fix", "type": "crm_update", "config": {"resource": "task", "id": "{{ trigger.id }}",
                                                            "data": {"title": "x"}}}]
    _, done = await flow_run(edge, nodes, {"id": "task_01NOSUCHTASK0000000000000"})
    assert done["status"] == "failed" and done["error"]["node"] == "fix", done


async def test_provider_action_runs_once_per_attempt(edge: FlowsEdge) -> None:
    nodes = [{"id": "push", "type": "provider_action", "config": {
        "provider": SIM, "action": "create_contact", "inputs": {"email": "{{ trigger.email }}", "name": "Bo"}}}]
    _flow, done = await flow_run(edge, nodes, {"email": "bo@example.com"})
    assert done["status"] == "completed", done
    assert done["output"]["status"] in (200, 201) and done["output"]["action"] == "create_contact", done["output"]
    key = f"{done['id']}:push:1"
    assert edge.sim.calls_per_key("POST", "/contacts")[key] == 1
    nodes = [{"id": "push", "type": "provider_action", "config": {"provider": SIM, "action": "no_such"}}]
    _, done = await flow_run(edge, nodes, {})
    assert done["status"] == "failed" and done["error"]["node"] == "push" and done["error"]["kind"] == "config"


async def test_record_to_table_upsert_and_lookup(edge: FlowsEdge) -> None:
    status, body = await edge.call("POST", "/connect/v1/tables", {"name": "Leads", "slug": "leads",
                                                                  "primaryKey": ["email"]})
    assert status == 201, body
    nodes = [{"id": "keep", "type": "record.to_table", "config": {"table": "leads", "record": "{{ trigger }}",
                                                                   "key": "email"}},
             {"id": "bump", "type": "table_upsert", "config": {"table": "leads", "key": "email", "data": {
                 "email": "{{ trigger.email }}", "score": "{{ trigger.score + 1 }}"}}},
             {"id": "find", "type": "table_lookup", "config": {"table": "leads", "column": "email",
                                                               "value": "{{ trigger.email }}"}}]
    flow, done = await flow_run(edge, nodes, {"email": "cy@example.com", "score": 41, "name": "Cy"})
    assert done["status"] == "completed", done
    found = done["output"]
    rows = found if isinstance(found, list) else found.get("rows", found)
    assert len(rows) == 1 and rows[0]["data"] == {"email": "cy@example.com", "score": 42, "name": "Cy"}, found
    ran = await steps_of(edge, flow, done["id"])
    assert [ran[k]["status"] for k in ("keep", "bump", "find")] == ["succeeded"] * 3

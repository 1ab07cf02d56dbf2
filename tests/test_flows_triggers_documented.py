"""Every operation FL-EDGE serves (forms, templates, provider actions, flow triggers) answers through the real
gateway, and each documented request example is replayed as written (ids the references invent become ids of
objects made first): 2xx in the documented envelope. The test names every operation it covers, so none is skipped
silently."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from gateway.catalogue import load_operations
from tests.flows_edge import SIM, FlowsEdge, flows_edge

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

OPERATIONS = ("listForms", "getForm", "createForm", "submitForm", "listFormSubmissions", "listFlowTemplates",
              "getFlowTemplate", "cloneFlowTemplate", "listProviderActions", "executeProviderAction",
              "listFlowTriggers", "createFlowTrigger", "deleteFlowTrigger")
# The documented body of an operation without an example in the catalogue (connect-api lists its fields).
DOCUMENTED_BODIES: dict[str, Any] = {
    "createFlowTrigger": {"providerType": SIM, "triggerName": "new_deal", "kind": "poll", "connectionId": "...",
                          "config": {"intervalSeconds": 60}},
    "executeProviderAction": {"email": "ada@example.com"},
}


@pytest_asyncio.fixture(scope="module")
async def edge(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FlowsEdge]:
    async with flows_edge(Path(tmp_path_factory.mktemp("documented"))) as running:
        yield running


async def made_first(edge: FlowsEdge) -> dict[str, str]:
    """The ids the replayed paths name: a form, a flow and its trigger, a template, a provider and an action."""
    _, form = await edge.call("POST", "/v1/forms", {"name": "F", "fields": [
        {"name": "email", "type": "email", "required": True}, {"name": "message", "type": "textarea"}]})
    _, flow = await edge.call("POST", "/v1/workflows", {"name": "Flow", "nodes": [
        {"id": "trigger", "type": "trigger", "config": {"kind": "manual"}}]})
    _, trigger = await edge.call("POST", f"/connect/v1/flows/{flow['data']['id']}/triggers", {"kind": "manual"})
    return {"id": form["data"]["id"], "flowId": flow["data"]["id"], "subscriptionId": trigger["data"]["id"],
            "slug": "new-lead-to-crm-contact-and-slack", "providerType": SIM, "actionName": "create_contact"}


async def test_every_operation_and_documented_example(edge: FlowsEdge) -> None:
    ids = await made_first(edge)
    ops = {op.operation_id: op for op in load_operations() if op.operation_id in OPERATIONS}
    assert set(ops) == set(OPERATIONS)
    replayed = []
    for name in OPERATIONS:
        op = ops[name]
        path = op.path
        for param, value in ids.items():
            path = path.replace("{" + param + "}", value)
        body = op.request_example if op.request_example is not None else DOCUMENTED_BODIES.get(name)
        if isinstance(body, dict) and body.get("connectionId") == "...":
            body = {**body, "connectionId": edge.connection_id}  # the reference's placeholder: a real connection
        status, answer = await edge.call(op.method, path, body if op.body else None)
        assert 200 <= status < 300, (name, path, answer)
        assert answer["success"] is True and "data" in answer and answer["request_id"], (name, answer)
        replayed.append(name)
    assert replayed == list(OPERATIONS)

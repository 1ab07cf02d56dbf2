"""Flow templates through the real gateway (listFlowTemplates, getFlowTemplate, cloneFlowTemplate with the
documented body): the library listed and shown, a clone is a draft workflow of the caller's workspace that runs,
and the plan's limit on flows holds for clones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from conftest import create_workspace
from junction_common.testing.infra import eventually
from tests.flows_edge import FlowsEdge, flows_edge

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

SLUG = "new-lead-to-crm-contact-and-slack"


@pytest_asyncio.fixture(scope="module")
async def edge(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FlowsEdge]:
    async with flows_edge(Path(tmp_path_factory.mktemp("templates"))) as running:
        yield running


async def test_the_library_is_listed_and_each_template_shown(edge: FlowsEdge) -> None:
    status, body = await edge.call("GET", "/connect/v1/flow-templates")
    assert status == 200, body
    assert len(body["data"]) >= 15 and body["meta"]["total"] == len(body["data"])
    summary = next(t for t in body["data"] if t["slug"] == SLUG)
    assert summary["trigger"] == {"kind": "webhook", "providerType": None, "triggerName": None}
    assert "workflow" not in summary
    status, body = await edge.call("GET", f"/connect/v1/flow-templates/{SLUG}")
    assert status == 200, body
    assert [n["type"] for n in body["data"]["workflow"]["nodes"]] == ["trigger", "crm_create", "provider_action"]
    status, body = await edge.call("GET", "/connect/v1/flow-templates?category=Finance")
    assert status == 200 and body["data"] and all(t["category"] == "Finance" for t in body["data"])
    status, body = await edge.call("GET", "/connect/v1/flow-templates/no-such-template")
    assert status == 404 and body["error"]["code"] == "NOT_FOUND", body


async def test_the_documented_clone_makes_a_draft_flow(edge: FlowsEdge) -> None:
    status, body = await edge.call("POST", "/connect/v1/flow-templates/salesforce-new-lead-to-slack/clone",
                                   {"triggerConnectionId": "...", "name": "..."})
    assert status == 201, body
    flow = body["data"]
    assert flow["name"] == "..." and flow["status"] == "draft" and flow["template"] == "salesforce-new-lead-to-slack"
    trigger_node = next(n for n in flow["nodes"] if n["type"] == "trigger")
    assert trigger_node["config"]["connectionId"] == "..."
    assert flow["triggerSubscription"] == {"kind": "poll", "providerType": "salesforce", "triggerName": "lead.new",
                                           "connectionId": "...", "config": {"intervalSeconds": 300}}
    status, got = await edge.call("GET", f"/v1/workflows/{flow['id']}")
    assert status == 200 and got["data"]["nodes"] == flow["nodes"], got
    status, other = await edge.call("GET", f"/v1/workflows/{flow['id']}", key=edge.other_key)
    assert status == 404, other


async def test_a_cloned_flow_runs_from_its_trigger(edge: FlowsEdge) -> None:
    status, body = await edge.call("POST", "/connect/v1/flow-templates/hubspot-deal-won-to-slack/clone",
                                   {"name": "Wins"})
    assert status == 201, body
    flow_id = body["data"]["id"]
    status, answer = await edge.call("POST", f"/connect/v1/flows/{flow_id}/triggers",
                                     body["data"]["triggerSubscription"])
    assert status == 201, answer
    url = answer["data"]["webhookUrl"]
    change = {"objectId": 7, "propertyName": "dealstage", "propertyValue": "appointmentscheduled"}
    async with edge.http.post(edge.url + url[url.index("/connect/"):], json=change) as resp:
        assert resp.status == 202
        execution_id = (await resp.json())["data"]["executionId"]

    async def ran() -> dict[str, object] | None:
        status, got = await edge.call("GET", f"/v1/executions/{execution_id}")
        return got["data"] if status == 200 and got["data"]["status"] == "completed" else None

    execution = await eventually(ran, 30)  # the filter stopped it: not a won deal, nothing posted
    assert execution["workflow_id"] == flow_id and execution["trigger"]["data"]["body"] == change


async def test_clones_count_against_the_plan_limit(edge: FlowsEdge) -> None:
    _, free_key = await create_workspace(edge.stack.gateway, "Free", plan="free")
    answers = [await edge.call("POST", f"/connect/v1/flow-templates/{SLUG}/clone", {}, key=free_key)
               for _ in range(6)]
    assert [status for status, _ in answers[:5]] == [201] * 5, answers
    status, body = answers[5]
    assert status == 403 and body["error"]["code"] == "FORBIDDEN", body

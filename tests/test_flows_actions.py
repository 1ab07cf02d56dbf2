"""Provider actions through the real gateway (listProviderActions, executeProviderAction), on the real stack: the
actions come from the provider's manifest with their input schemas, inputs are checked against the schema, and an
action is executed once per request id, counted at the provider simulator by Idempotency-Key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.flows_edge import SIM, FlowsEdge, flows_edge

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

ACTIONS = f"/connect/v1/providers/{SIM}/actions"


@pytest_asyncio.fixture(scope="module")
async def edge(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FlowsEdge]:
    async with flows_edge(Path(tmp_path_factory.mktemp("actions"))) as running:
        yield running


async def test_actions_are_listed_with_their_input_schemas(edge: FlowsEdge) -> None:
    status, body = await edge.call("GET", ACTIONS)
    assert status == 200, body
    by_name = {a["name"]: a for a in body["data"]}
    assert set(by_name) == {"create_contact", "get_contact"}
    assert by_name["create_contact"]["method"] == "POST"
    assert by_name["create_contact"]["inputSchema"]["required"] == ["email"]
    assert body["meta"]["total"] == 2


async def test_an_unknown_provider_or_action_is_not_found(edge: FlowsEdge) -> None:
    status, body = await edge.call("GET", "/connect/v1/providers/no_such_provider/actions")
    assert status == 404 and body["error"]["code"] == "NOT_FOUND", body
    status, body = await edge.call("POST", f"{ACTIONS}/no_such_action", {})
    assert status == 404 and body["error"]["code"] == "NOT_FOUND", body


async def test_inputs_breaking_the_schema_are_refused_and_nothing_is_called(edge: FlowsEdge) -> None:
    before = len(edge.sim.requests)
    status, body = await edge.call("POST", f"{ACTIONS}/create_contact", {"name": "Ada", "phone": "1"})
    assert status == 422, body
    assert body["error"]["code"] == "VALIDATION_ERROR"
    messages = " ".join(e["message"] for e in body["error"]["details"]["errors"])
    assert "'email' is a required property" in messages and "phone" in messages
    assert len(edge.sim.requests) == before


async def test_an_action_is_executed_once_per_request_id(edge: FlowsEdge) -> None:
    rid = "req_action_once_1"
    answers = [await edge.call("POST", f"{ACTIONS}/create_contact", {"email": "ada@example.com", "name": "Ada"},
                               headers={"X-Request-Id": rid}) for _ in range(3)]
    assert all(status == 200 for status, _ in answers), answers
    first = answers[0][1]["data"]
    assert first["status"] == 201 and first["output"]["email"] == "ada@example.com"
    assert first["idempotencyKey"] == f"req:{rid}"
    assert all(body["data"] == first for _, body in answers)
    assert edge.sim.calls_per_key("POST", "/contacts")[f"req:{rid}"] == 1
    sent = [b for m, p, k, b in edge.sim.requests if p == "/contacts" and k == f"req:{rid}"]
    assert sent == [{"email": "ada@example.com", "name": "Ada"}]


async def test_path_placeholders_are_filled_from_the_inputs(edge: FlowsEdge) -> None:
    status, body = await edge.call("POST", f"{ACTIONS}/get_contact", {"id": "ct 42"})
    assert status == 200, body
    assert body["data"]["output"]["id"] == "ct 42"
    assert any(p == "/contacts/ct 42" and m == "GET" for m, p, _, _ in edge.sim.requests)


async def test_a_workspace_without_the_connection_cannot_execute(edge: FlowsEdge) -> None:
    status, body = await edge.call("POST", f"{ACTIONS}/create_contact", {"email": "b@example.com"},
                                   key=edge.other_key)
    assert status >= 400 and body["success"] is False, body

"""Connections and credentials through the gateway, on the real stack: each operation at its documented path with
its documented request example replayed (connect-api, pipelines-api, workflow-api), one resource underneath;
statuses from a real API-key provider simulator; a workspace sees only its own connections."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from connections_contracts import connection as cx
from gateway.catalogue import load_operations
from tests.connections_stack import DOCUMENTED_KEY, SIM_TYPE, Edge, connections_edge

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

GOOD = "sk_test_good_0123456789"
ENVELOPE = {"success", "data", "meta", "request_id", "next_cursor"}
PIPELINES_VIEW = {"id", "name", "type", "provider", "status", "lastError", "lastCheckedAt", "connectedAt", "config",
                  "schedule", "notifyUserIds", "variantGroupId", "variantLabel", "credentialFields",
                  "credentialPreview", "createdAt", "updatedAt"}
STATUS_VIEW = {"type", "connectionId", "status", "connected", "lastError", "lastCheckedAt", "connectedAt",
               "credentialPreview"}


def example(operation_id: str) -> Any:
    return next(op.request_example for op in load_operations() if op.operation_id == operation_id)


@pytest_asyncio.fixture(scope="module")
async def edge(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Edge]:
    async with connections_edge(Path(tmp_path_factory.mktemp("conn")), {GOOD, DOCUMENTED_KEY}) as running:
        yield running


async def test_pipelines_documented_examples(edge: Edge) -> None:
    status, body, _ = await edge.call("POST", "/api/pipelines/connections/test", example("testPipelineConnection"))
    assert (status, body) == (200, {"success": True, "message": "Connection successful"})
    status, body, _ = await edge.call("POST", "/api/pipelines/connections", example("createPipelineConnection"))
    assert status == 201 and body["success"] is True, body
    made = body["connection"]
    assert set(made) == PIPELINES_VIEW and made["type"] == "CRM_PLATFORM" and made["provider"] == SIM_TYPE
    assert made["status"] == cx.CONNECTED and made["lastError"] is None and made["lastCheckedAt"]
    assert made["notifyUserIds"] == ["cm...user1", "cm...user2"] and made["schedule"]["frequency"] == "daily"
    update = f"/api/pipelines/connections/{made['id']}"
    status, body, _ = await edge.call("PUT", update, example("updatePipelineConnection"))
    assert status == 200 and body["connection"]["notifyUserIds"] == ["cm...user1", "cm...user2"], body
    status, body, _ = await edge.call("PUT", update, {"notifyUserIds": []})  # documented: notify everyone
    assert status == 200 and body["connection"]["notifyUserIds"] == [], body
    status, body, _ = await edge.call("GET", f"/api/pipelines/connections/{made['id']}")
    assert status == 200 and body["connection"]["notifyUserIds"] == [] and body["connection"]["id"] == made["id"]
    status, body, _ = await edge.call("GET", "/api/pipelines/connections?limit=1&offset=0")
    assert status == 200 and body["success"] is True and len(body["connections"]) == 1, body
    assert body["pagination"]["limit"] == 1 and body["pagination"]["offset"] == 0 and body["pagination"]["total"] >= 1


async def test_a_refused_key_is_an_error_connection_and_a_check_records_it(edge: Edge) -> None:
    status, body, _ = await edge.call("POST", "/api/pipelines/connections/test",
                                      {"type": "CRM_PLATFORM", "credentials": {"apiKey": "wrong-key-0000"}})
    assert status == 200 and body["success"] is False and "401" in body["message"], body
    status, body, _ = await edge.call("POST", "/api/pipelines/connections",
                                      {"name": "Bad", "type": SIM_TYPE.upper(), "credentials": {"apiKey": "bad-key-1"}})
    assert status == 201 and body["connection"]["status"] == cx.ERROR, body
    assert body["connection"]["lastError"] == "The provider refused the credentials (401)."
    conn_id = body["connection"]["id"]
    status, body, _ = await edge.call("POST", f"/api/pipelines/connections/{conn_id}/check")
    assert status == 200 and body["success"] is False and body["connection"]["status"] == cx.ERROR, body
    status, body, _ = await edge.call("PUT", f"/api/pipelines/connections/{conn_id}", {"credentials": {"apiKey": GOOD}})
    assert status == 200 and body["connection"]["status"] == cx.CONNECTED, body
    status, body, _ = await edge.call("POST", f"/api/pipelines/connections/{conn_id}/check")
    assert status == 200 and body["success"] is True and body["message"] == "Connection healthy", body
    status, body, _ = await edge.call("DELETE", f"/api/pipelines/connections/{conn_id}")
    assert (status, body) == (200, {"success": True, "message": "Connection deleted"})
    status, body, _ = await edge.call("GET", f"/api/pipelines/connections/{conn_id}")
    assert status == 404 and body["success"] is False and body["code"] == "NOT_FOUND", body


async def test_family_resolution_and_refusals(edge: Edge) -> None:
    status, body, _ = await edge.call("POST", "/api/pipelines/connections/test",
                                      {"type": "NO_SUCH_FAMILY", "credentials": {"apiKey": GOOD}})
    assert status == 422 and body["code"] == "VALIDATION_ERROR", body
    status, body, _ = await edge.call("POST", "/api/pipelines/connections/test",
                                      {"type": "CRM_PLATFORM", "provider": "hubspot", "credentials": {"apiKey": GOOD}})
    assert status == 422 and "OAuth" in body["message"], body
    status, body, _ = await edge.call("POST", "/api/pipelines/connections/test",
                                      {"type": "ACCOUNTING", "provider": SIM_TYPE, "credentials": {"apiKey": GOOD}})
    assert status == 422 and body["details"]["pointer"] == "/type", body


async def test_connect_status_disconnect(edge: Edge) -> None:
    base = f"/connect/v1/providers/{SIM_TYPE}"
    status, body, _ = await edge.call("GET", base + "/status", who="b")
    assert status == 200 and set(body) == ENVELOPE and body["data"]["status"] == "DISCONNECTED", body
    status, body, _ = await edge.call("POST", base + "/connect", {"credentials": {"apiKey": GOOD}}, who="b")
    assert status == 201 and set(body["data"]) == STATUS_VIEW and body["data"]["connected"] is True, body
    assert body["data"]["credentialPreview"] == "…" + GOOD[-4:]
    conn_id = body["data"]["connectionId"]
    status, body, _ = await edge.call("GET", base + "/status", who="b")
    assert body["data"]["status"] == cx.CONNECTED and body["data"]["connectionId"] == conn_id
    status, body, _ = await edge.call("GET", f"/api/pipelines/connections/{conn_id}", who="b")
    assert status == 200 and body["connection"]["provider"] == SIM_TYPE  # one resource, every reference
    status, body, _ = await edge.call("DELETE", base + "/disconnect", who="b")
    assert status == 200 and body["data"]["status"] == "DISCONNECTED" and body["data"]["credentialPreview"] is None
    status, body, _ = await edge.call("POST", f"/api/pipelines/connections/{conn_id}/check", who="b")
    assert status == 422 and body["code"] == "VALIDATION_ERROR", body
    status, body, _ = await edge.call("POST", base + "/connect", {"credentials": {"apiKey": GOOD}}, who="b")
    assert status == 200 and body["data"]["connectionId"] == conn_id and body["data"]["connected"] is True, body
    status, body, _ = await edge.call("POST", "/connect/v1/providers/hubspot/connect",
                                      {"credentials": {"apiKey": GOOD}}, who="b")
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR", body
    status, body, _ = await edge.call("GET", "/connect/v1/providers/no_such/status", who="b")
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"


async def test_workflow_credentials(edge: Edge) -> None:
    status, body, _ = await edge.call("POST", "/v1/credentials", example("createCredential"))
    assert status == 201 and set(body) == ENVELOPE, body
    made = body["data"]
    assert made["name"] == "Slack Bot Token" and made["type"] == "api_key" and "value" not in made
    status, body, _ = await edge.call("POST", "/v1/credentials",
                                      {"name": "Sim", "type": "api_key", "value": GOOD, "provider": SIM_TYPE})
    assert status == 201 and body["data"]["status"] == cx.CONNECTED and body["data"]["provider"] == SIM_TYPE
    status, body, _ = await edge.call("GET", "/v1/credentials?limit=100")
    assert status == 200 and made["id"] in [c["id"] for c in body["data"]], body
    status, body, _ = await edge.call("DELETE", f"/v1/credentials/{made['id']}")
    assert status == 200 and body["data"] == {"id": made["id"], "deleted": True}, body
    status, body, _ = await edge.call("GET", "/v1/credentials?limit=100")
    assert made["id"] not in [c["id"] for c in body["data"]]


async def test_a_workspace_sees_only_its_own(edge: Edge) -> None:
    status, body, _ = await edge.call("POST", "/api/pipelines/connections",
                                      {"name": "Mine", "type": "CRM_PLATFORM", "credentials": {"apiKey": GOOD}})
    conn_id = body["connection"]["id"]
    for method, path, payload in [("GET", f"/api/pipelines/connections/{conn_id}", None),
                                  ("PUT", f"/api/pipelines/connections/{conn_id}", {"name": "Theirs"}),
                                  ("POST", f"/api/pipelines/connections/{conn_id}/check", None),
                                  ("DELETE", f"/api/pipelines/connections/{conn_id}", None),
                                  ("DELETE", f"/v1/credentials/{conn_id}", None)]:
        status, body, _ = await edge.call(method, path, payload, who="b")
        assert status == 404, (method, path, body)
    _, listed, _ = await edge.call("GET", "/api/pipelines/connections?limit=200", who="b")
    assert conn_id not in [c["id"] for c in listed["connections"]]
    _, listed, _ = await edge.call("GET", "/v1/credentials?limit=200", who="b")
    assert conn_id not in [c["id"] for c in listed["data"]]
    status, body, _ = await edge.call("GET", f"/api/pipelines/connections/{conn_id}")
    assert status == 200 and body["connection"]["name"] == "Mine"


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/pipelines/connections"), ("POST", "/api/pipelines/connections/test"),
    ("GET", f"/connect/v1/providers/{SIM_TYPE}/status"), ("GET", "/v1/credentials"),
])
async def test_without_the_scope_it_is_403(edge: Edge, method: str, path: str) -> None:
    status, body, _ = await edge.call(method, path, {"type": "X", "credentials": {"apiKey": "k"}}, key="none")
    assert status == 403, body

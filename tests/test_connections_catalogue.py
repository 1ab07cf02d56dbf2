"""The provider catalogue through the gateway: the connections service (its built-in manifests plus an operator
folder) and a real gateway that has no code for these operations, only their declarations. Each operation's
documented request is replayed with a key holding exactly its scope, and refused (403) with a key without it;
each answer is checked against its reference's shape.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from pydantic import BaseModel

from conftest import isolated_stack, start_connections, start_gateway
from connections.catalogue.index import Catalogue
from connections.catalogue.loader import load_catalogue
from connections_contracts.catalogue import AvailableIntegration, ConnectorType, ProviderDetail, ProviderSummary
from junction_common.envelope import utcnow
from junction_common.identity import IdentityStore
from junction_common.mongo import create_client
from junction_common.workspaces import create_workspace

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

OPERATOR_DIR = Path(__file__).parents[1] / "services" / "connections" / "tests" / "fixtures" / "providers"
ENVELOPE = {"success", "data", "meta", "request_id", "next_cursor"}
SCOPES = {"listProviders": "providers.view", "getProvider": "providers.view", "listConnectorTypes": "pipelines:read",
          "listAvailableIntegrations": "integrations:read", "searchIntegrations": "integrations:read"}


@dataclass
class Edge:
    url: str
    http: aiohttp.ClientSession
    keys: dict[str, str]  # scope -> a MEMBER key holding only it; "none" -> a key holding no useful scope
    catalogue: Catalogue

    async def get(self, path: str, scope: str) -> tuple[int, Any, str]:
        async with self.http.get(self.url + path, headers={"Authorization": f"Bearer {self.keys[scope]}"}) as resp:
            return resp.status, await resp.json(), resp.headers.get("X-Request-Id", "")


async def _keys(settings: Any) -> dict[str, str]:
    workspace, _ = await create_workspace(settings, "Catalogue", "business")
    client = create_client(settings)
    try:
        store = IdentityStore(client[settings.db_name("identity")], settings.signing_secret)
        scopes = [*sorted(set(SCOPES.values())), "none"]
        return {scope: await store.create_key(workspace["_id"], f"key-{scope}", "MEMBER",
                                              [scope if scope != "none" else "nothing:read"], utcnow())
                for scope in scopes}
    finally:
        await client.close()


@pytest_asyncio.fixture(scope="module")
async def edge() -> AsyncIterator[Edge]:
    async with isolated_stack() as stack:
        connections = await start_connections(stack, provider_dirs=str(OPERATOR_DIR))
        try:
            async with start_gateway(stack.gateway) as gateway, aiohttp.ClientSession() as http:
                yield Edge(gateway.url, http, await _keys(stack.gateway), load_catalogue([OPERATOR_DIR]))
        finally:
            await connections.stop()


def wire_fields(model: type[BaseModel]) -> set[str]:
    return {f.alias or name for name, f in model.model_fields.items()}


def assert_envelope(status: int, body: Any, request_id: str) -> Any:
    assert status == 200, body
    assert set(body) == ENVELOPE and body["success"] is True and body["request_id"] == request_id
    return body["data"]


@pytest.mark.parametrize(("operation", "path"), [
    ("listProviders", "/connect/v1/providers"), ("getProvider", "/connect/v1/providers/junction_test_crm"),
    ("listConnectorTypes", "/api/pipelines/connector-types"),
    ("listAvailableIntegrations", "/v1/integrations/available"),
    ("searchIntegrations", "/v1/integrations/search?q=klaviyo"),
])
async def test_without_the_operations_scope_it_is_403(edge: Edge, operation: str, path: str) -> None:
    status, body, _ = await edge.get(path, "none")
    error = body if path.startswith("/api/pipelines/") else body["error"]  # pipelines-api's own error shape
    assert status == 403 and error["code"] == "FORBIDDEN", body
    assert error["details"]["required_scopes"] == [SCOPES[operation]]


async def test_list_providers(edge: Edge) -> None:
    status, body, request_id = await edge.get("/connect/v1/providers", "providers.view")
    data = assert_envelope(status, body, request_id)
    assert [p["type"] for p in data] == [m.type for m in edge.catalogue.manifests]
    assert body["meta"] == {"total": len(edge.catalogue)}
    assert all(set(p) == wire_fields(ProviderSummary) for p in data)
    status, body, request_id = await edge.get("/connect/v1/providers?category=Accounting", "providers.view")
    assert "junction_test_books" in [p["type"] for p in assert_envelope(status, body, request_id)]
    assert all("Accounting" in p["categories"] for p in body["data"])


async def test_get_provider_and_an_unknown_type(edge: Edge) -> None:
    status, body, request_id = await edge.get("/connect/v1/providers/junction_test_crm", "providers.view")
    data = assert_envelope(status, body, request_id)
    assert set(data) == wire_fields(ProviderDetail) and data["type"] == "junction_test_crm"
    assert data["credentials"] == [{"name": "apiKey", "label": "API key", "secret": True, "required": True,
                                    "description": None}]
    documented = "meta_lead_ads"  # the reference's example type, answered once its manifest is built in
    status, body, _ = await edge.get(f"/connect/v1/providers/{documented}", "providers.view")
    assert status == (200 if edge.catalogue.get(documented) else 404), body
    status, body, request_id = await edge.get("/connect/v1/providers/no_such_provider", "providers.view")
    assert status == 404 and set(body) == {"success", "error", "request_id"}, body
    assert body["error"]["code"] == "NOT_FOUND" and body["request_id"] == request_id


async def test_connector_types_in_the_pipelines_shape(edge: Edge) -> None:
    status, body, _ = await edge.get("/api/pipelines/connector-types", "pipelines:read")
    assert status == 200 and list(body) == ["connectorTypes"], body  # no /v1 envelope
    listed = {c["type"]: c for c in body["connectorTypes"]}
    assert len(listed) == len(edge.catalogue)
    assert all(set(c) == wire_fields(ConnectorType) for c in listed.values())
    crm = listed["JUNCTION_TEST_CRM"]
    assert (crm["name"], crm["category"], crm["family"], crm["provider"]) == (
        "Junction Test CRM", "CRM", "CRM_PLATFORM", "junction_test_crm")
    assert [c["name"] for c in crm["credentials"]] == ["apiKey"]
    assert [c["name"] for c in listed["JUNCTION_TEST_BOOKS"]["credentials"]] == ["client_id", "client_secret",
                                                                                  "tenantId"]


async def test_available_integrations(edge: Edge) -> None:
    status, body, request_id = await edge.get("/v1/integrations/available", "integrations:read")
    data = assert_envelope(status, body, request_id)
    assert [i["service"] for i in data] == [m.type for m in edge.catalogue.manifests]
    assert all(set(i) == wire_fields(AvailableIntegration) for i in data)
    crm = next(i for i in data if i["service"] == "junction_test_crm")
    assert crm["settingsSchema"]["required"] == ["apiKey"] and crm["syncEvents"] == ["contact.created",
                                                                                      "deal.updated"]


async def test_search_integrations(edge: Edge) -> None:
    status, body, request_id = await edge.get("/v1/integrations/search?q=klaviyo", "integrations:read")
    found = [i["service"] for i in assert_envelope(status, body, request_id)]
    assert found == [m.type for m in edge.catalogue.search("klaviyo")]
    if edge.catalogue.get("klaviyo"):
        assert found[0] == "klaviyo"
    status, body, request_id = await edge.get("/v1/integrations/search?q=junction%20test%20crm", "integrations:read")
    assert [i["service"] for i in assert_envelope(status, body, request_id)] == ["junction_test_crm"]
    status, body, _ = await edge.get("/v1/integrations/search", "integrations:read")
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR", body

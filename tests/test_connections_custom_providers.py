"""Custom providers through the gateway, on the real stack: a workspace admin registers the API-key provider
simulator as a private provider (no operator folder), connects it, calls it through the proxy, tests credentials
and configures an integration of it; another workspace sees and uses none of it; a refused manifest changes
nothing; replace and delete take effect at once; the proxy's address policy still applies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio

from connections.app.provider_test import ProviderTester
from connections.catalogue.loader import load_catalogue
from connections.catalogue.workspace import WorkspaceCatalogue
from connections_contracts import custom_providers as cp
from junction_common.address_policy import AddressPolicy
from tests.tenant_stack import PUBLIC_BASE_URL, TenantEdge, tenant_edge

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

BASE = "/connect/v1/custom-providers"


@pytest_asyncio.fixture(scope="module")
async def edge() -> AsyncIterator[TenantEdge]:
    async with tenant_edge() as running:
        yield running


def manifest(edge: TenantEdge, type_: str, **changes: Any) -> dict[str, Any]:
    return {**edge.api.manifest(type_), **changes}


async def register(edge: TenantEdge, type_: str, who: str = "a") -> dict[str, Any]:
    status, body, _ = await edge.call("POST", BASE, manifest(edge, type_), who=who)
    assert status == 201 and body["success"] is True, body
    return dict(body["data"])


async def stored_events(edge: TenantEdge) -> int:
    return int(await edge.service.db["event_commits"].count_documents({}))


async def test_registered_connected_tested_and_proxied_with_no_operator_folder(edge: TenantEdge) -> None:
    made = await register(edge, "acme_crm")
    assert made["type"] == "acme_crm" and made["custom"] is True and made["auth"]["kind"] == "api_key", made
    status, body, _ = await edge.call("GET", "/connect/v1/providers/acme_crm")
    assert status == 200 and body["data"]["name"] == "Simulated API-key Provider", body
    status, body, _ = await edge.call("GET", "/connect/v1/providers")
    assert "acme_crm" in [p["type"] for p in body["data"]]
    status, body, _ = await edge.call("GET", "/api/pipelines/connector-types")
    assert status == 200 and "ACME_CRM" in str(body), body
    status, body, _ = await edge.call("POST", "/api/pipelines/connections/test",
                                      {"type": "ACME_CRM", "credentials": {"apiKey": edge.api.api_key}})
    assert (status, body) == (200, {"success": True, "message": "Connection successful"})
    status, body, _ = await edge.call("POST", "/connect/v1/providers/acme_crm/connect",
                                      {"credentials": {"apiKey": edge.api.api_key}})
    assert status == 201 and body["data"]["status"] == "CONNECTED", body
    status, body, _ = await edge.call("POST", "/api/pipelines/connections",
                                      {"name": "Acme", "type": "ACME_CRM", "credentials": {"apiKey": edge.api.api_key}})
    assert status == 201 and body["connection"]["provider"] == "acme_crm", body
    assert body["connection"]["status"] == "CONNECTED", body
    status, body, _ = await edge.call("POST", "/v1/credentials", {"name": "Acme key", "value": edge.api.api_key,
                                                                   "provider": "acme_crm"})
    assert status == 201 and body["data"]["provider"] == "acme_crm" and body["data"]["status"] == "CONNECTED", body
    before = len(edge.api.requests)
    status, body, _ = await edge.call("POST", "/connect/v1/proxy/acme_crm", {"method": "GET", "path": "/contacts"})
    assert status == 200 and body["data"]["status"] == 200, body
    seen = edge.api.requests[before:]
    assert len(seen) == 1 and seen[0].path == "/contacts"
    assert seen[0].headers["Authorization"] == f"Bearer {edge.api.api_key}"
    status, body, _ = await edge.call("POST", "/v1/integrations", {"service": "acme_crm",
                                                                    "settings": {"apiKey": edge.api.api_key}})
    assert status == 201 and body["data"]["service"] == "acme_crm", body
    status, body, _ = await edge.call("POST", f"/v1/integrations/{body['data']['id']}/test")
    assert status == 200 and body["data"]["success"] is True, body


async def test_another_workspace_neither_sees_nor_uses_it(edge: TenantEdge) -> None:
    await register(edge, "acme_private")
    status, body, _ = await edge.call("GET", "/connect/v1/providers/acme_private", who="b")
    assert status == 404 and body["error"]["code"] == "NOT_FOUND", body
    status, body, _ = await edge.call("GET", "/connect/v1/providers", who="b")
    assert "acme_private" not in [p["type"] for p in body["data"]]
    status, body, _ = await edge.call("GET", "/v1/integrations/available", who="b")
    assert "acme_private" not in [i["service"] for i in body["data"]]
    status, body, _ = await edge.call("GET", f"{BASE}/acme_private", who="b")
    assert status == 404, body
    status, body, _ = await edge.call("GET", BASE, who="b")
    assert status == 200 and body["data"] == [], body
    status, body, _ = await edge.call("POST", "/connect/v1/providers/acme_private/connect",
                                      {"credentials": {"apiKey": edge.api.api_key}}, who="b")
    assert status == 404, body
    status, body, _ = await edge.call("POST", "/connect/v1/proxy/acme_private", {"method": "GET", "path": "/x"},
                                      who="b")
    assert status == 404 and body["success"] is False, body
    status, body, _ = await edge.call("POST", "/v1/integrations", {"service": "acme_private",
                                                                    "settings": {"apiKey": "k"}}, who="b")
    assert status == 422 and body["error"]["details"]["pointer"] == "/service", body
    mine = await register(edge, "acme_private", who="b")  # the same type is B's own, apart from A's
    assert mine["type"] == "acme_private"


@pytest.mark.parametrize("bad", [
    {"auth": {"kind": "api_key", "location": "header"}},  # a header key without its header's name
    {"categories": ["Not a category"]},
    {"type": "Bad-Type"},
    {"api_base_url": "not a url"},
    {"type": "hubspot"},  # a built-in's type
])
async def test_a_refused_manifest_changes_nothing(edge: TenantEdge, bad: dict[str, Any]) -> None:
    before_events = await stored_events(edge)
    status, before, _ = await edge.call("GET", BASE)
    status, body, _ = await edge.call("POST", BASE, manifest(edge, "acme_refused", **bad))
    assert status == 422 and body["success"] is False, body
    assert body["error"]["code"] == "VALIDATION_ERROR" and set(body) >= {"error", "request_id"}, body
    _, after, _ = await edge.call("GET", BASE)
    assert after["data"] == before["data"] and await stored_events(edge) == before_events


async def test_registering_a_live_type_again_is_refused(edge: TenantEdge) -> None:
    await register(edge, "acme_twice")
    status, body, _ = await edge.call("POST", BASE, manifest(edge, "acme_twice"))
    assert status == 422 and body["error"]["details"]["pointer"] == "/type", body


async def test_writes_are_for_admins_and_reads_need_the_view_scope(edge: TenantEdge) -> None:
    status, body, _ = await edge.call("POST", BASE, manifest(edge, "acme_member"), key="member")
    assert status == 403 and body["error"]["code"] == "FORBIDDEN", body
    status, body, _ = await edge.call("GET", BASE, key="none")
    assert status == 403, body
    status, body, _ = await edge.call("GET", BASE, key="member")
    assert status == 200, body


async def test_replace_and_delete_take_effect_at_once(edge: TenantEdge) -> None:
    await register(edge, "acme_changing")
    status, body, _ = await edge.call("PUT", f"{BASE}/acme_changing", {**manifest(edge, "acme_changing"),
                                                                        "name": "Acme Renamed"})
    assert status == 200 and body["data"]["name"] == "Acme Renamed", body
    status, body, _ = await edge.call("GET", "/connect/v1/providers/acme_changing")
    assert body["data"]["name"] == "Acme Renamed", body
    status, body, _ = await edge.call("PUT", f"{BASE}/acme_changing", manifest(edge, "acme_other"))
    assert status == 422 and body["error"]["details"]["pointer"] == "/type", body
    status, body, _ = await edge.call("DELETE", f"{BASE}/acme_changing")
    assert status == 200 and body["data"] == {"type": "acme_changing", "deleted": True}, body
    status, body, _ = await edge.call("GET", "/connect/v1/providers/acme_changing")
    assert status == 404, body
    status, body, _ = await edge.call("POST", "/connect/v1/providers/acme_changing/connect",
                                      {"credentials": {"apiKey": edge.api.api_key}})
    assert status == 404, body
    status, body, _ = await edge.call("DELETE", f"{BASE}/acme_changing")
    assert status == 404, body
    doc = await edge.service.db[cp.COLLECTION].find_one(
        {"_id": cp.stream_id(edge.keys["a"]["workspace_id"], "acme_changing")})
    assert doc is not None and doc["deleted"] is True and doc["manifest"] is None


async def test_its_address_is_still_held_to_the_operators_policy(edge: TenantEdge) -> None:
    await register(edge, "acme_guarded")
    status, body, _ = await edge.call("POST", "/connect/v1/providers/acme_guarded/connect",
                                      {"credentials": {"apiKey": edge.api.api_key}})
    assert status == 201, body
    tester = edge.service.component(ProviderTester)
    allowed = tester.policy
    tester.policy = AddressPolicy((), False)  # the operator's default: no loopback
    before = len(edge.api.requests)
    try:
        status, body, _ = await edge.call("POST", "/connect/v1/proxy/acme_guarded", {"method": "GET", "path": "/x"})
    finally:
        tester.policy = allowed
    assert status == 422 and body["error"]["details"]["reason"] == "address_refused", body
    assert len(edge.api.requests) == before


async def test_a_custom_oauth_provider_goes_through_the_whole_flow(edge: TenantEdge) -> None:
    sim = edge.oauth
    status, body, _ = await edge.call("POST", BASE, sim.manifest("acme_oauth"))
    assert status == 201, body
    sim.redirect_uris.add(f"{PUBLIC_BASE_URL}/api/pipelines/oauth/acme_oauth/callback")
    app = {"client_id": sim.client_id, "client_secret": sim.client_secret, "connectionName": "Acme OAuth"}
    status, body, _ = await edge.call("POST", "/api/pipelines/oauth/acme_oauth/authorize", app, who="b")
    assert status == 404 and body["success"] is False, body  # B has no such provider
    status, body, _ = await edge.call("POST", "/api/pipelines/oauth/acme_oauth/authorize", app)
    assert status == 200 and body["authorizeUrl"].startswith(sim.authorize_url + "?"), body
    query = {k: v[0] for k, v in parse_qs(urlsplit(body["authorizeUrl"]).query).items()}
    async with edge.http.get(sim.authorize_url, params=query, allow_redirects=False) as resp:
        assert resp.status == 302, await resp.text()
        callback = resp.headers["Location"].removeprefix(PUBLIC_BASE_URL)
    status, made = await edge.anonymous("GET", callback)  # no key: the signed state names the workspace
    assert status == 200 and made["connection"]["status"] == "CONNECTED", made
    assert made["connection"]["provider"] == "acme_oauth"
    status, body, _ = await edge.call("POST", "/connect/v1/proxy/acme_oauth", {"method": "GET", "path": "/me"})
    assert status == 200 and body["data"]["status"] == 200 and body["data"]["body"]["id"] == "sim-user-1", body


async def test_a_change_through_one_replica_is_seen_by_the_next_call_of_another(edge: TenantEdge) -> None:
    """Another replica's catalogue (its own cache, the same database) follows every change at its next call."""
    other = WorkspaceCatalogue(load_catalogue())
    db, workspace = edge.service.db, edge.keys["a"]["workspace_id"]
    await register(edge, "acme_replicated")
    first = await other.of(db, workspace)
    assert first.get("acme_replicated") is not None and "acme_replicated" in first.custom
    assert await other.of(db, workspace) is first  # unchanged: the cached catalogue
    status, body, _ = await edge.call("PUT", f"{BASE}/acme_replicated", {**manifest(edge, "acme_replicated"),
                                                                          "name": "Acme Replicated"})
    assert status == 200, body
    renamed = (await other.of(db, workspace)).get("acme_replicated")
    assert renamed is not None and renamed.name == "Acme Replicated"
    status, body, _ = await edge.call("DELETE", f"{BASE}/acme_replicated")
    assert status == 200, body
    assert (await other.of(db, workspace)).get("acme_replicated") is None
    assert (await other.of(db, edge.keys["b"]["workspace_id"])).get("acme_replicated") is None

"""The provider proxy (`POST /connect/v1/proxy/:providerType`) through the real gateway, on the real stack, against
the API-key provider simulator registered as the operator provider `sim_api_key`: the key is injected and never
returned, a path that would leave the provider's host is refused, a 429 with Retry-After is retried, every call
leaves an audit row, and a workspace only ever uses its own connection."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio

from connections.app.provider_test import ProviderTester
from connections_contracts.proxy import AUDIT_COLLECTION
from junction_common.address_policy import AddressPolicy
from tests.connections_stack import (
    API_KEY_TYPE,
    OAUTH_TYPE,
    PUBLIC_BASE_URL,
    Edge,
    oauth_connections_edge,
    proxy_connections_edge,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

PROXY = f"/connect/v1/proxy/{API_KEY_TYPE}"


@pytest_asyncio.fixture(scope="module")
async def edge(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Edge]:
    async with proxy_connections_edge(Path(tmp_path_factory.mktemp("proxy")), set()) as running:
        assert running.api is not None
        status, body, _ = await running.call("POST", f"/connect/v1/providers/{API_KEY_TYPE}/connect",
                                             {"credentials": {"apiKey": running.api.api_key}})
        assert status == 201 and body["data"]["status"] == "CONNECTED", body
        yield running


def api(edge: Edge) -> Any:
    assert edge.api is not None
    return edge.api


async def audit_of(edge: Edge, request_id: str) -> list[dict[str, Any]]:
    return [d async for d in edge.service.db[AUDIT_COLLECTION].find({"request_id": request_id})]


async def test_the_key_is_injected_and_never_returned(edge: Edge) -> None:
    sim = api(edge)
    before = len(sim.requests)
    status, body, headers = await edge.call("POST", PROXY, {
        "method": "GET", "path": "/contacts?limit=2",
        "headers": {"Authorization": "Bearer stolen", "X-Forwarded-Host": "evil.example",
                    "Accept": "application/json"}})
    assert status == 200 and body["success"] is True, body
    data = body["data"]
    assert data["status"] == 200 and data["body"]["path"] == "/contacts" and data["body"]["method"] == "GET", data
    assert data["headers"]["content-type"].startswith("application/json")
    assert "set-cookie" not in data["headers"]
    seen = sim.requests[before:]
    assert len(seen) == 1 and seen[0].headers["Authorization"] == f"Bearer {sim.api_key}"
    assert seen[0].query == {"limit": "2"} and "X-Forwarded-Host" not in seen[0].headers
    assert seen[0].headers["Accept"] == "application/json"
    assert sim.api_key not in json.dumps(body) and sim.api_key not in json.dumps(headers)
    rows = await audit_of(edge, body["request_id"])
    assert len(rows) == 1, rows
    row = rows[0]
    assert (row["method"], row["path"], row["status"], row["attempts"], row["provider"]) == (
        "GET", "/contacts", 200, 1, API_KEY_TYPE)
    assert row["workspace_id"] == edge.keys["a"]["workspace_id"] and row["latency_ms"] >= 0
    assert sim.api_key not in json.dumps(row, default=str)


async def test_a_json_body_is_forwarded_and_a_post_is_not_retried(edge: Edge) -> None:
    sim = api(edge)
    before = len(sim.requests)
    status, body, _ = await edge.call("POST", PROXY, {"method": "POST", "path": "/contacts",
                                                       "body": {"email": "ada@example.com"}})
    assert status == 200 and body["data"]["status"] == 200, body
    assert json.loads(sim.requests[-1].body) == {"email": "ada@example.com"}
    assert sim.requests[-1].headers["Content-Type"] == "application/json"
    sim.fail_next(1, 503)
    status, body, _ = await edge.call("POST", PROXY, {"method": "POST", "path": "/contacts", "body": {"a": 1}})
    assert status == 200 and body["data"]["status"] == 503, body
    assert len(sim.requests) == before + 2
    rows = await audit_of(edge, body["request_id"])
    assert rows[0]["status"] == 503 and rows[0]["attempts"] == 1


@pytest.mark.parametrize("path", ["//evil.example/x", "http://127.0.0.1:1/", "/a/../../x", "/%2e%2e/admin",
                                  "\\\\evil.example/x"])
async def test_a_path_that_would_change_host_is_refused(edge: Edge, path: str) -> None:
    sim = api(edge)
    before = len(sim.requests)
    status, body, _ = await edge.call("POST", PROXY, {"method": "GET", "path": path})
    assert status == 422 and body["success"] is False, body
    assert body["error"]["code"] == "VALIDATION_ERROR" and body["error"]["details"]["reason"] == "bad_path", body
    assert len(sim.requests) == before
    rows = await audit_of(edge, body["request_id"])
    assert len(rows) == 1 and rows[0]["status"] is None and rows[0]["error"] == "VALIDATION_ERROR:bad_path"


async def test_a_private_address_is_refused_unless_allowed(edge: Edge) -> None:
    sim = api(edge)
    tester = edge.service.component(ProviderTester)
    allowed = tester.policy
    tester.policy = AddressPolicy((), False)  # the default: loopback not admitted
    before = len(sim.requests)
    try:
        status, body, _ = await edge.call("POST", PROXY, {"method": "GET", "path": "/contacts"})
    finally:
        tester.policy = allowed
    assert status == 422 and body["error"]["details"]["reason"] == "address_refused", body
    assert len(sim.requests) == before


async def test_a_429_with_retry_after_is_retried(edge: Edge) -> None:
    sim = api(edge)
    before = len(sim.requests)
    sim.throttle_next(1, retry_after_s=1)
    started = time.monotonic()
    status, body, _ = await edge.call("POST", PROXY, {"method": "GET", "path": "/contacts"})
    elapsed = time.monotonic() - started
    assert status == 200 and body["data"]["status"] == 200, body
    assert [s.status for s in sim.requests[before:]] == [429, 200]
    gap = sim.requests[-1].at - sim.requests[-2].at
    assert gap >= 0.95 and elapsed >= 0.95, (gap, elapsed)
    rows = await audit_of(edge, body["request_id"])
    assert rows[0]["status"] == 200 and rows[0]["attempts"] == 2


async def test_5xx_retries_give_up_with_the_providers_answer(edge: Edge) -> None:
    sim = api(edge)
    before = len(sim.requests)
    sim.fail_next(5, 503)
    status, body, _ = await edge.call("POST", PROXY, {"method": "GET", "path": "/contacts"})
    assert status == 200 and body["data"]["status"] == 503, body
    assert len(sim.requests) == before + 3  # the call and two retries (JUNCTION_PROXY_MAX_RETRIES)
    sim.script.clear()


async def test_no_connection_is_an_error_and_another_workspaces_is_not_used(edge: Edge) -> None:
    sim = api(edge)
    before = len(sim.requests)
    status, body, _ = await edge.call("POST", PROXY, {"method": "GET", "path": "/contacts"}, who="b")
    assert status == 404 and body["success"] is False and body["error"]["code"] == "NOT_FOUND", body
    assert body["error"]["details"] == {"type": API_KEY_TYPE}
    status, body, _ = await edge.call("POST", "/connect/v1/proxy/no_such_provider",
                                      {"method": "GET", "path": "/contacts"}, who="b")
    assert status == 404 and body["error"]["code"] == "NOT_FOUND", body
    assert len(sim.requests) == before
    status, body, _ = await edge.call("POST", PROXY, {"method": "GET", "path": "/contacts"}, key="none")
    assert status == 403, body
    status, body, _ = await edge.call("POST", PROXY, {"method": "TRACE", "path": "/contacts"})
    assert status == 422, body
    assert len(sim.requests) == before


async def test_a_disconnected_connection_is_refused(edge: Edge) -> None:
    sim = api(edge)
    status, body, _ = await edge.call("POST", f"/connect/v1/providers/{API_KEY_TYPE}/connect",
                                      {"credentials": {"apiKey": sim.api_key}}, who="b")
    assert status == 201, body
    status, body, _ = await edge.call("DELETE", f"/connect/v1/providers/{API_KEY_TYPE}/disconnect", who="b")
    assert status == 200, body
    before = len(sim.requests)
    status, body, _ = await edge.call("POST", PROXY, {"method": "GET", "path": "/contacts"}, who="b")
    assert status == 409 and body["error"]["code"] == "NOT_CONNECTED", body
    assert body["error"]["details"]["status"] == "DISCONNECTED" and len(sim.requests) == before


# -- an OAuth connection: the access token through RefreshCoordinator.ensure_fresh


@pytest_asyncio.fixture(scope="module")
async def oauth_edge(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Edge]:
    async with oauth_connections_edge(Path(tmp_path_factory.mktemp("proxy_oauth")), set()) as running:
        sim = running.oauth
        assert sim is not None
        status, body, _ = await running.call("POST", f"/api/pipelines/oauth/{OAUTH_TYPE}/authorize", {})
        assert status == 200, body
        query = {k: v[0] for k, v in parse_qs(urlsplit(body["authorizeUrl"]).query).items()}
        async with running.http.get(sim.authorize_url, params=query, allow_redirects=False) as resp:
            callback = resp.headers["Location"].removeprefix(PUBLIC_BASE_URL)
        async with running.http.get(running.url + callback) as resp:
            assert resp.status == 200, await resp.text()
        yield running


async def test_an_oauth_token_rejected_is_refreshed_once_for_concurrent_calls(oauth_edge: Edge) -> None:
    sim = oauth_edge.oauth
    assert sim is not None
    path = f"/connect/v1/proxy/{OAUTH_TYPE}"
    status, body, _ = await oauth_edge.call("POST", path, {"method": "GET", "path": "/contacts"})
    assert status == 200 and body["data"]["status"] == 200 and len(body["data"]["body"]["data"]) == 2, body
    before = sim.refreshes
    sim.expire_access_tokens()  # the provider now answers 401 to the stored token, which looks good to us
    answers = await asyncio.gather(*(oauth_edge.call("POST", path, {"method": "GET", "path": "/me"})
                                     for _ in range(20)))
    assert all(s == 200 and b["data"]["status"] == 200 for s, b, _ in answers), answers
    assert sim.refreshes == before + 1
    secrets = [*sim.access, *sim.refresh, sim.client_secret]
    assert not [s for s in secrets if s in json.dumps([b for _, b, _ in answers])]
    refreshed = [r async for r in oauth_edge.service.db[AUDIT_COLLECTION].find({"refreshed": True})]
    assert refreshed and all(r["status"] == 200 and r["attempts"] == 2 for r in refreshed)

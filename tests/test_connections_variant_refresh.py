"""One token refresh in flight per variant group, on the real stack with the OAuth 2.0 provider simulator: the
variants of one OAuth connection hold the same refresh token (the provider spends it on first use), so when their
access token expires, 20 concurrent proxy calls spread over two variants (`connectionId`) make exactly one refresh
at the provider; every call succeeds and the refreshed tokens reach both variants (neither refreshes again)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from connections_contracts import connection as cx
from tests.connections_stack import OAUTH_TYPE, Edge, oauth_authorized, oauth_connections_edge

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
CONNECTIONS = "/api/pipelines/connections"
PROXY = f"/connect/v1/proxy/{OAUTH_TYPE}"


@pytest.fixture
async def edge(tmp_path: Path) -> AsyncIterator[Edge]:
    async with oauth_connections_edge(tmp_path, set()) as running:
        yield running


async def proxied(edge: Edge, connection_id: str) -> int:
    status, body, _ = await edge.call("POST", PROXY, {"method": "GET", "path": "/me", "connectionId": connection_id})
    assert status == 200, body
    return int(body["data"]["status"])


async def test_concurrent_calls_over_two_variants_refresh_once(edge: Edge) -> None:
    sim = edge.oauth
    assert sim is not None
    source = await oauth_authorized(edge)
    status, variant, _ = await edge.call("POST", f"{CONNECTIONS}/{source}/variants", {"variantLabel": "EU"})
    assert status == 201 and variant["status"] == cx.CONNECTED, variant
    members = [source, str(variant["id"])]
    assert [await proxied(edge, m) for m in members] == [200, 200]

    before = sim.refreshes
    sim.expire_access_tokens()  # the provider answers 401 to the shared access token, which looks good to us
    sim.refresh_delay_s = 0.3  # a slow token endpoint: every call is in flight while the refresh is
    answers = await asyncio.gather(*(proxied(edge, members[i % 2]) for i in range(20)))
    assert answers == [200] * 20
    assert sim.refreshes == before + 1

    for member in members:  # the refreshed tokens reached both: neither refreshes again, both stay CONNECTED
        assert await proxied(edge, member) == 200
        status, body, _ = await edge.call("GET", f"{CONNECTIONS}/{member}")
        assert status == 200 and body["connection"]["status"] == cx.CONNECTED, body
    assert sim.refreshes == before + 1


async def test_a_connection_id_of_another_provider_or_none_is_not_found(edge: Edge) -> None:
    await oauth_authorized(edge)
    status, body, _ = await edge.call("POST", PROXY, {"method": "GET", "path": "/me", "connectionId": "conn_nope"})
    assert status == 404 and body["error"]["code"] == "NOT_FOUND", body

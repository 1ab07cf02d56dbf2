"""A service calls another's internal API signed as a service principal of one workspace; unsigned calls are
refused (tests/test_internal_auth.py covers the signature itself)."""

from __future__ import annotations

import aiohttp
import pytest

from conftest import Stack, start_connections
from junction_common.web.peers import PeerClient, PeerUnavailable

pytestmark = pytest.mark.integration


async def test_a_peer_call_is_signed_for_its_workspace(stack_settings: Stack) -> None:
    runtime = await start_connections(stack_settings)
    client = PeerClient(stack_settings.sync, caller="sync")
    try:
        answer = await client.call("GET", "connections", "/connect/v1/providers/hubspot", "ws_peer")
        assert answer.ok, answer.body
        assert answer.body["data"]["type"] == "hubspot"
        base = stack_settings.sync.service_urls["connections"]
        async with aiohttp.ClientSession() as http, http.get(base + "/internal/connect/v1/providers") as resp:
            assert resp.status == 401
    finally:
        await client.close()
        await runtime.stop()


async def test_an_unknown_service_is_unavailable(stack_settings: Stack) -> None:
    client = PeerClient(stack_settings.sync, caller="sync")
    with pytest.raises(PeerUnavailable):
        await client.call("GET", "nowhere", "/x", "ws_peer")
    await client.close()

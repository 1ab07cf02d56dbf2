"""The gateway's internal members route, which the services ask instead of reading the identity database: only a
service's signed call is served, and it lists the members of the workspace its signature names, never another's;
a run notification meant for every member lists the workspace's members through it (and is still made, with none
listed, when the gateway cannot be asked)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from conftest import RunningGateway, Stack, create_workspace, isolated_stack, start_gateway, start_sync
from junction_common.envelope import utcnow
from junction_common.identity import IdentityStore, Principal
from junction_common.ids import new_id
from junction_common.internal_auth import HEADER, sign
from junction_common.mongo import create_client
from junction_common.testing.infra import eventually, free_port
from junction_common.web.peers import PeerClient
from tests.test_sync_runs import runs_edge

pytestmark = pytest.mark.integration
MEMBERS = "/internal/identity/members"


@pytest_asyncio.fixture
async def edge() -> AsyncIterator[tuple[Stack, RunningGateway]]:
    async with isolated_stack() as stack, start_gateway(stack.gateway) as gateway:
        yield stack, gateway


async def add_members(http: aiohttp.ClientSession, url: str, key: str, *emails: str) -> list[str]:
    """Members added through the public API; their ids."""
    ids = []
    for email in emails:
        async with http.post(f"{url}/v1/members", json={"email": email, "role": "MEMBER"},
                             headers={"Authorization": f"Bearer {key}"}) as resp:
            assert resp.status == 201, await resp.text()
            ids.append((await resp.json())["data"]["id"])
    return ids


async def signed_get(http: aiohttp.ClientSession, stack: Stack, principal: Principal | None,
                     query: str = "") -> tuple[int, Any]:
    """GET the members route signed as the gateway signs, for `principal`."""
    rid = new_id("req")
    headers = {HEADER: sign(stack.gateway.internal_secret, rid, "GET", MEMBERS, principal), "X-Request-Id": rid}
    async with http.get(stack.gateway.service_urls["gateway"] + MEMBERS + query, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)


async def test_a_service_lists_its_workspaces_members_and_nobody_else_is_served(
        edge: tuple[Stack, RunningGateway], http: aiohttp.ClientSession) -> None:
    stack, gateway = edge
    first, first_key = await create_workspace(stack.gateway, "First", "business")
    second, second_key = await create_workspace(stack.gateway, "Second", "business")
    firsts = await add_members(http, gateway.url, first_key, "ana@first.example", "bo@first.example")
    seconds = await add_members(http, gateway.url, second_key, "cy@second.example")

    peers = PeerClient(stack.sync, caller="sync")
    try:
        answer = await peers.call("GET", "gateway", "/identity/members", first)
        assert answer.status == 200 and answer.body == {"member_ids": sorted(firsts)}
        answer = await peers.call("GET", "gateway", "/identity/members", second)
        assert answer.status == 200 and answer.body == {"member_ids": seconds}
        # A workspace named in the query changes nothing: the signature's workspace is the only one served.
        answer = await peers.call("GET", "gateway", "/identity/members", first, params={"workspace_id": second})
        assert answer.body == {"member_ids": sorted(firsts)}
        empty, _ = await create_workspace(stack.gateway, "Empty", "free")
        assert (await peers.call("GET", "gateway", "/identity/members", empty)).body == {"member_ids": []}
    finally:
        await peers.close()

    # A user's identity (what the gateway signs when it forwards a user's call) is refused, owner or not.
    owner = Principal(workspace_id=first, key_id="key_owner", role="OWNER", scopes=frozenset({"*"}))
    status, body = await signed_get(http, stack, owner)
    assert status == 403 and body["error"]["code"] == "FORBIDDEN" and "member_ids" not in body
    assert (await signed_get(http, stack, None))[0] == 403  # a signature naming nobody
    async with http.get(stack.gateway.service_urls["gateway"] + MEMBERS) as resp:  # no signature
        assert resp.status == 401 and "member_ids" not in await resp.json()
    forged = {HEADER: sign("not-the-internal-secret", "req_1", "GET", MEMBERS,
                           Principal(workspace_id=first, key_id="service:sync", role="SERVICE",
                                     scopes=frozenset({"*"})))}
    async with http.get(stack.gateway.service_urls["gateway"] + MEMBERS, headers=forged) as resp:
        assert resp.status == 401
    # The public port serves no internal route.
    async with http.get(gateway.url + MEMBERS) as resp:
        assert resp.status in (401, 404) and "member_ids" not in await resp.text()


async def test_a_run_notification_for_every_member_lists_the_members_the_gateway_keeps(tmp_path: Path) -> None:
    async with runs_edge(tmp_path, rows=60, page_size=50) as edge:
        client = create_client(edge.stack.gateway)
        try:
            store = IdentityStore(client[edge.stack.gateway.db_name("identity")], edge.stack.gateway.signing_secret)
            members_key = await store.create_key(edge.workspace_id, "members", "ADMIN", ["members:write"], utcnow())
        finally:
            await client.close()
        members = await add_members(edge.http, edge.url, members_key, "dee@runs.example", "eli@runs.example")
        _, other_key = await create_workspace(edge.stack.gateway, "Other", "business")
        await add_members(edge.http, edge.url, other_key, "fay@other.example")

        cid = await edge.connect("Everyone")  # names no notifyUserIds: every member is told
        edge.api.api_key = "rotated-away"  # the provider refuses the connection's key: the run fails
        run = await edge.finished(cid, await edge.trigger(cid))
        assert run["status"] == "FAILED", run

        async def listed() -> list[dict[str, Any]] | None:
            status, answer = await edge.call("GET", "/api/pipelines/notifications")
            assert status == 200, answer
            return list(answer["notifications"]) or None

        found = await eventually(listed, 30)
        assert [(n["runId"], n["allMembers"]) for n in found] == [(run["id"], True)]
        assert found[0]["recipients"] == sorted(members)


async def test_a_run_notification_is_still_made_when_the_gateway_cannot_be_asked(tmp_path: Path) -> None:
    async with runs_edge(tmp_path, rows=60, page_size=50, sync=False) as edge:
        nowhere = f"http://127.0.0.1:{free_port()}"  # no gateway internal API listens there
        sync = await start_sync(edge.stack, service_urls={**edge.stack.sync.service_urls, "gateway": nowhere},
                                run_lease_s=3.0, run_poll_s=0.2, scheduler_enabled=False)
        try:
            cid = await edge.connect("Unasked")
            edge.api.api_key = "rotated-away"
            run = await edge.finished(cid, await edge.trigger(cid))

            async def listed() -> list[dict[str, Any]] | None:
                status, answer = await edge.call("GET", "/api/pipelines/notifications")
                assert status == 200, answer
                return list(answer["notifications"]) or None

            found = await eventually(listed, 30)
            assert [(n["runId"], n["allMembers"], n["recipients"]) for n in found] == [(run["id"], True, [])]
        finally:
            await sync.stop()

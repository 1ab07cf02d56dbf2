"""Connection variants through the gateway (pipelines-api, Connection Variants), on the real stack with the API-key
simulator: a variant shares its source's credentials in a variant group, the source is backfilled with the group
and a label, labels are sequential unless given and unique in the group, `createOwnTables` and `notifyUserIds`
are stored as documented, new credentials on one variant reach every variant, deleting one keeps the others'."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from connections.app.operations import Connections
from connections_contracts import connection as cx
from junction_common.envelope import utcnow
from junction_common.identity import IdentityStore
from junction_common.mongo import create_client
from tests.connections_stack import DOCUMENTED_KEY, SCOPES, Edge, connections_edge

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
CONNECTIONS = "/api/pipelines/connections"
SECOND_KEY = "second-valid-key-0987654321"


@pytest_asyncio.fixture(scope="module")
async def edge(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Edge]:
    async with connections_edge(Path(tmp_path_factory.mktemp("variants")), {DOCUMENTED_KEY, SECOND_KEY}) as running:
        yield running


async def member_key(edge: Edge, who: str = "a") -> str:
    """A MEMBER key of the workspace carrying every connection scope (the role, not a scope, is what is missing)."""
    settings = edge.stack.gateway
    client = create_client(settings)
    try:
        store = IdentityStore(client[settings.db_name("identity")], settings.signing_secret)
        return await store.create_key(edge.keys[who]["workspace_id"], "member", "MEMBER", SCOPES, utcnow())
    finally:
        await client.close()


async def source(edge: Edge, who: str = "a") -> dict[str, Any]:
    body = {"name": "Production CRM", "type": "CRM_PLATFORM", "credentials": {"apiKey": DOCUMENTED_KEY},
            "config": {"region": "us"}, "notifyUserIds": ["cm_user1"]}
    status, answer, _ = await edge.call("POST", CONNECTIONS, body, who)
    assert status == 201 and answer["connection"]["status"] == cx.CONNECTED, answer
    return dict(answer["connection"])


async def get(edge: Edge, connection_id: str, who: str = "a") -> dict[str, Any]:
    status, answer, _ = await edge.call("GET", f"{CONNECTIONS}/{connection_id}", who=who)
    assert status == 200, answer
    return dict(answer["connection"])


async def opened(edge: Edge, connection_id: str) -> dict[str, Any]:
    raw = await edge.service.db[cx.COLLECTION].find_one({"_id": connection_id})
    assert raw is not None
    return Connections(edge.service).open(dict(raw))


async def test_a_variant_shares_the_credentials_in_a_group_and_the_source_is_backfilled(edge: Edge) -> None:
    made = await source(edge)
    status, body, headers = await edge.call("POST", f"{CONNECTIONS}/{made['id']}/variants",
                                            {"name": "CRM Platform - Europe Region", "variantLabel": "EU"})
    assert status == 201, body
    assert {"id", "name", "type", "variantGroupId", "variantLabel", "status", "webhookToken"} <= set(body)
    assert body["name"] == "CRM Platform - Europe Region" and body["variantLabel"] == "EU"
    assert body["type"] == "CRM_PLATFORM" and body["status"] == cx.CONNECTED and body["id"] != made["id"]
    assert len(body["webhookToken"]) >= 43 and headers.get("Cache-Control") == "no-store"
    group = body["variantGroupId"]
    assert group.startswith("vgrp_")
    assert body["config"] == {"region": "us", "variantGroupId": group, "createOwnTables": False}
    assert body["notifyUserIds"] == ["cm_user1"]
    backfilled = await get(edge, made["id"])
    assert backfilled["variantGroupId"] == group and backfilled["variantLabel"] == "1"
    assert backfilled["config"] == {"region": "us", "variantGroupId": group, "createOwnTables": False}
    assert await opened(edge, body["id"]) == await opened(edge, made["id"]) == {"apiKey": DOCUMENTED_KEY}
    # A second variant of either member joins the same group with the next free sequential label.
    status, second, _ = await edge.call("POST", f"{CONNECTIONS}/{made['id']}/variants",
                                        {"config": {"createOwnTables": True}, "notifyUserIds": []})
    assert status == 201, second
    assert second["variantGroupId"] == group and second["variantLabel"] == "2"
    assert second["name"] == "Production CRM (2)" and second["config"]["createOwnTables"] is True
    assert second["notifyUserIds"] == []
    assert second["webhookToken"] != body["webhookToken"]
    status, third, _ = await edge.call("POST", f"{CONNECTIONS}/{second['id']}/variants", {})
    assert status == 201 and third["variantGroupId"] == group, third
    assert (third["variantLabel"], third["name"]) == ("3", "Production CRM (3)")
    assert third["config"]["createOwnTables"] is False  # a variant's own choice is not inherited
    # A PUT of the config, as documented, keeps the group in it.
    status, updated, _ = await edge.call("PUT", f"{CONNECTIONS}/{third['id']}", {"config": {"createOwnTables": True}})
    assert status == 200, updated
    assert updated["connection"]["config"] == {"createOwnTables": True, "variantGroupId": group}


async def test_a_label_is_unique_in_its_group(edge: Edge) -> None:
    made = await source(edge)
    status, _, _ = await edge.call("POST", f"{CONNECTIONS}/{made['id']}/variants", {"variantLabel": "2024"})
    assert status == 201
    status, body, _ = await edge.call("POST", f"{CONNECTIONS}/{made['id']}/variants", {"variantLabel": "2024"})
    assert status == 409 and body["success"] is False and body["code"] == "CONFLICT", body
    status, body, _ = await edge.call("POST", f"{CONNECTIONS}/{made['id']}/variants", {"variantLabel": "1"})
    assert status == 409, body  # the backfilled source holds `1`


async def test_new_credentials_reach_every_variant_and_a_deleted_variant_keeps_the_others(edge: Edge) -> None:
    made = await source(edge)
    _, first, _ = await edge.call("POST", f"{CONNECTIONS}/{made['id']}/variants", {"variantLabel": "EU"})
    _, second, _ = await edge.call("POST", f"{CONNECTIONS}/{made['id']}/variants", {"variantLabel": "US"})
    status, body, _ = await edge.call("PUT", f"{CONNECTIONS}/{first['id']}", {"credentials": {"apiKey": SECOND_KEY}})
    assert status == 200 and body["connection"]["status"] == cx.CONNECTED, body
    for member in (made["id"], first["id"], second["id"]):
        assert await opened(edge, member) == {"apiKey": SECOND_KEY}
        assert (await get(edge, member))["credentialPreview"] == "…4321"
    status, _, _ = await edge.call("DELETE", f"{CONNECTIONS}/{first['id']}")
    assert status == 200
    status, _, _ = await edge.call("GET", f"{CONNECTIONS}/{first['id']}")
    assert status == 404
    for member in (made["id"], second["id"]):
        edge.sim.seen.clear()
        status, body, _ = await edge.call("POST", f"{CONNECTIONS}/{member}/check")
        assert status == 200 and body["connection"]["status"] == cx.CONNECTED, body
        assert edge.sim.seen == [SECOND_KEY]


async def test_only_an_admin_of_the_workspace_makes_a_variant(edge: Edge) -> None:
    made = await source(edge)
    status, body, _ = await edge.call("POST", f"{CONNECTIONS}/{made['id']}/variants", {"variantLabel": "X"}, who="b")
    assert status == 404 and body["success"] is False, body
    key = await member_key(edge)
    async with edge.http.post(f"{edge.url}{CONNECTIONS}/{made['id']}/variants", json={"variantLabel": "X"},
                              headers={"Authorization": f"Bearer {key}"}) as resp:
        assert resp.status == 403, await resp.text()
    assert (await get(edge, made["id"]))["variantGroupId"] is None  # nothing changed

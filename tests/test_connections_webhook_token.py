"""Inbound webhook tokens, on the real stack through the gateway: every connection gets one at creation, held only
as a hash and a sealed copy; an admin's reveal (pipelines-api, Reveal Webhook URL) answers the URL on the
gateway's public base URL with `Cache-Control: no-store` and is recorded as an event; a connection from before
tokens gets one at its first reveal (the legacy upgrade); the sync service resolves a token through the internal
route `POST /internal/runtime/webhook-tokens/resolve`, which answers only a SERVICE principal of workspace `*`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from connections.app.operations import Call, Connections
from connections_contracts import connection as cx
from junction_common.identity import Principal
from junction_common.web.peers import PeerAnswer, PeerClient
from tests.connections_stack import DOCUMENTED_KEY, PUBLIC_BASE_URL, SIM_TYPE, Edge, oauth_connections_edge
from tests.test_connections_variants import member_key

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
CONNECTIONS = "/api/pipelines/connections"
WEBHOOK_BASE = f"{PUBLIC_BASE_URL}/api/pipelines/webhook/"


@pytest_asyncio.fixture(scope="module")
async def edge(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Edge]:
    async with oauth_connections_edge(Path(tmp_path_factory.mktemp("tokens")), {DOCUMENTED_KEY}) as running:
        yield running


async def resolve(edge: Edge, token: str, workspace_id: str = "*") -> PeerAnswer:
    """What the sync service asks: whose token this is (signed as a SERVICE principal of `workspace_id`)."""
    client = PeerClient(edge.stack.connections, caller="sync")
    try:
        return await client.call("POST", "connections", "/runtime/webhook-tokens/resolve", workspace_id,
                                 body={"token": token})
    finally:
        await client.close()


async def made(edge: Edge, who: str = "a") -> dict[str, Any]:
    body = {"name": "Production CRM", "type": "CRM_PLATFORM", "credentials": {"apiKey": DOCUMENTED_KEY}}
    status, answer, _ = await edge.call("POST", CONNECTIONS, body, who)
    assert status == 201, answer
    return dict(answer["connection"])


async def reveal(edge: Edge, connection_id: str, who: str = "a") -> tuple[int, Any, dict[str, str]]:
    return await edge.call("POST", f"{CONNECTIONS}/{connection_id}/webhook-url", None, who)


async def events_of(edge: Edge, connection_id: str) -> list[dict[str, Any]]:
    commits = await edge.service.db["event_commits"].find({"stream_id": connection_id}).to_list()
    return [e for c in sorted(commits, key=lambda c: c["base_version"]) for e in c["events"]]


async def test_reveal_answers_the_public_url_uncached_and_audited(edge: Edge) -> None:
    connection = await made(edge)
    status, body, headers = await reveal(edge, connection["id"])
    assert status == 200 and set(body) == {"webhookUrl", "tokenPrefix", "curlExample"}, body
    assert headers.get("Cache-Control") == "no-store"
    token = body["webhookUrl"].removeprefix(WEBHOOK_BASE)
    assert body["webhookUrl"] == WEBHOOK_BASE + token and len(token) == 43
    assert body["tokenPrefix"] == token[:4] + "..."
    assert body["curlExample"] == f"curl -X POST {body['webhookUrl']}"
    again = (await reveal(edge, connection["id"]))[1]
    assert again == body  # the same token: a reveal changes nothing
    revealed = [e for e in await events_of(edge, connection["id"]) if e["type"] == "connection.webhook_url_revealed"]
    assert len(revealed) == 2 and all(e["actor"]["id"] for e in revealed) and not revealed[0]["data"]["upgraded"]
    # Held only as a hash and a sealed copy: neither the read model nor any event holds the token.
    raw = await edge.service.db[cx.COLLECTION].find_one({"_id": connection["id"]})
    assert raw is not None and raw["webhook_token_hash"] and raw["webhook_token_sealed"]
    assert token not in json.dumps(raw, default=str)
    assert token not in json.dumps(await events_of(edge, connection["id"]), default=str)
    status, listed, _ = await edge.call("GET", CONNECTIONS)
    assert status == 200 and token not in json.dumps(listed)


async def test_the_sync_service_resolves_a_token_to_its_connection(edge: Edge) -> None:
    connection = await made(edge)
    token = (await reveal(edge, connection["id"]))[1]["webhookUrl"].removeprefix(WEBHOOK_BASE)
    answer = await resolve(edge, token)
    assert answer.status == 200, answer.body
    assert answer.body == {"connection_id": connection["id"], "workspace_id": edge.keys["a"]["workspace_id"],
                           "status": cx.CONNECTED, "provider": SIM_TYPE, "connector_type": "CRM_PLATFORM"}
    assert (await resolve(edge, token[:-1] + ("A" if token[-1] != "A" else "B"))).status == 404
    assert (await resolve(edge, "x" * 300)).status == 422
    assert (await resolve(edge, token, workspace_id=edge.keys["a"]["workspace_id"])).status == 403
    # A deleted connection's token resolves no more.
    status, _, _ = await edge.call("DELETE", f"{CONNECTIONS}/{connection['id']}")
    assert status == 200 and (await resolve(edge, token)).status == 404


async def test_a_variant_gets_its_own_token_shown_once_at_creation(edge: Edge) -> None:
    connection = await made(edge)
    status, variant, _ = await edge.call("POST", f"{CONNECTIONS}/{connection['id']}/variants", {"variantLabel": "EU"})
    assert status == 201, variant
    answer = await resolve(edge, variant["webhookToken"])
    assert answer.status == 200 and answer.body["connection_id"] == variant["id"]
    revealed = (await reveal(edge, variant["id"]))[1]
    assert revealed["webhookUrl"] == WEBHOOK_BASE + variant["webhookToken"]


async def test_a_connection_from_before_tokens_is_upgraded_at_its_reveal(edge: Edge) -> None:
    service = Connections(edge.service)
    workspace_id = edge.keys["a"]["workspace_id"]
    principal = Principal(workspace_id=workspace_id, key_id="legacy", role="ADMIN", scopes=frozenset({"*"}))
    connection_id = "conn_legacy" + workspace_id[-8:]
    data = {"record": {"name": "Old CRM", "connector_type": "CRM_PLATFORM", "origin": "pipelines",
                       "provider": SIM_TYPE, "credential_fields": ["apiKey"]},
            "status": cx.CONNECTED, "last_error": None, "last_checked_at": datetime.now(UTC).isoformat(),
            "credentials_sealed": service._seal(workspace_id, connection_id, {"apiKey": DOCUMENTED_KEY})}
    old = await service.run(Call(principal, "req_legacy"), cx.CREATE, connection_id, data)  # no token, as before
    assert not old.get("webhook_token_hash")
    status, body, _ = await reveal(edge, connection_id)
    assert status == 200, body
    token = body["webhookUrl"].removeprefix(WEBHOOK_BASE)
    assert (await resolve(edge, token)).body["connection_id"] == connection_id
    types = [e["type"] for e in await events_of(edge, connection_id)]
    assert types == ["connection.created", "connection.webhook_token_issued", "connection.webhook_url_revealed"]
    assert (await events_of(edge, connection_id))[-1]["data"]["upgraded"] is True
    assert (await reveal(edge, connection_id))[1] == body  # upgraded once


async def test_only_an_admin_of_the_workspace_sees_the_url(edge: Edge) -> None:
    connection = await made(edge)
    status, body, _ = await reveal(edge, connection["id"], who="b")
    assert status == 404 and body["success"] is False, body
    key = await member_key(edge)
    async with edge.http.post(f"{edge.url}{CONNECTIONS}/{connection['id']}/webhook-url",
                              headers={"Authorization": f"Bearer {key}"}) as resp:
        assert resp.status == 403, await resp.text()
    revealed = [e for e in await events_of(edge, connection["id"]) if e["type"] == "connection.webhook_url_revealed"]
    assert revealed == []

"""Disconnect and delete revoke at the provider (the OAuth simulator counts revocations), erase the secrets and keep
the history; a revoke failure is recorded and does not block; variants keep the grant until the last one goes; a
refresh token the provider refuses marks the connection ERROR and emits `connection.credentials_invalid`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio

from connections.app.operations import Connections
from connections_contracts import connection as cx
from connections_contracts.events import EVENT_MODELS
from tests.connections_stack import (
    DOCUMENTED_KEY,
    OAUTH_TYPE,
    PUBLIC_BASE_URL,
    SIM_TYPE,
    Edge,
    oauth_connections_edge,
)
from tests.simulators.oauth_provider import OAuthProvider

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
BROKEN = "sim_oauth_badrevoke"  # the same OAuth server, with a revocation URL that answers 404


def broken_revoke(oauth: OAuthProvider) -> list[dict[str, Any]]:
    """`BROKEN`: the OAuth simulator again, revoking at a URL that answers 404."""
    broken = oauth.manifest(BROKEN)
    broken["auth"]["revoke_url"] = f"{oauth.url}/oauth/revoke-gone"
    return [broken]


@pytest_asyncio.fixture(scope="module")
async def edge(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Edge]:
    async with oauth_connections_edge(tmp_path_factory.mktemp("revoke"), {DOCUMENTED_KEY}, broken_revoke) as running:
        yield running


def sim_of(edge: Edge) -> OAuthProvider:
    assert edge.oauth is not None
    return edge.oauth


async def connect(edge: Edge, kind: str = OAUTH_TYPE, who: str = "a") -> str:
    """The whole OAuth flow: authorize, the user's consent at the simulator, the provider's redirect back."""
    status, body, _ = await edge.call("POST", f"/api/pipelines/oauth/{kind}/authorize", {"connectionName": kind}, who)
    assert status == 200, body
    query = {k: v[0] for k, v in parse_qs(urlsplit(body["authorizeUrl"]).query).items()}
    async with edge.http.get(sim_of(edge).authorize_url, params=query, allow_redirects=False) as resp:
        callback = resp.headers["Location"].removeprefix(PUBLIC_BASE_URL)
    async with edge.http.get(edge.url + callback) as resp:
        done = await resp.json()
        assert resp.status == 200 and done["connection"]["status"] == cx.CONNECTED, done
    return str(body["connectionId"])


async def raw(edge: Edge, connection_id: str) -> dict[str, Any]:
    doc = await edge.service.db[cx.COLLECTION].find_one({"_id": connection_id})
    assert doc is not None
    return dict(doc)


async def events_of(edge: Edge, connection_id: str) -> list[dict[str, Any]]:
    commits = await edge.service.db["event_commits"].find({"stream_id": connection_id}).to_list()
    return [e for c in sorted(commits, key=lambda c: c["base_version"]) for e in c["events"]]


async def test_disconnect_revokes_at_the_provider_erases_the_secrets_and_keeps_the_history(edge: Edge) -> None:
    sim = sim_of(edge)
    connection_id = await connect(edge)
    refresh_token = Connections(edge.service).open(await raw(edge, connection_id))["refresh_token"]
    assert refresh_token in sim.refresh
    before = sim.revokes
    status, body, _ = await edge.call("DELETE", f"/connect/v1/providers/{OAUTH_TYPE}/disconnect")
    assert status == 200 and body["data"]["status"] == cx.DISCONNECTED, body
    assert sim.revokes == before + 1 and refresh_token not in sim.refresh
    doc = await raw(edge, connection_id)
    assert doc["credentials_sealed"] is None and doc["status"] == cx.DISCONNECTED
    events = await events_of(edge, connection_id)
    assert [e["type"] for e in events] == ["connection.created", "connection.credentials_replaced",
                                           "connection.disconnected"]
    assert events[-1]["data"]["changes"]["provider_revoke"] == "revoked"
    status, body, _ = await edge.call("GET", f"/api/pipelines/connections/{connection_id}")
    assert status == 200 and body["connection"]["status"] == cx.DISCONNECTED  # the history stays


async def test_deleting_a_pipeline_connection_or_a_credential_revokes_too(edge: Edge) -> None:
    sim = sim_of(edge)
    first, second = await connect(edge), await connect(edge)
    before = sim.revokes
    status, _, _ = await edge.call("DELETE", f"/api/pipelines/connections/{first}")
    assert status == 200 and sim.revokes == before + 1
    status, _, _ = await edge.call("DELETE", f"/v1/credentials/{second}")
    assert status == 200 and sim.revokes == before + 2
    for gone in (first, second):
        assert (await raw(edge, gone))["credentials_sealed"] is None
        assert (await events_of(edge, gone))[-1]["data"]["changes"]["provider_revoke"] == "revoked"


async def test_a_failed_revoke_is_recorded_and_the_disconnect_goes_through(edge: Edge) -> None:
    connection_id = await connect(edge, BROKEN)
    status, body, _ = await edge.call("DELETE", f"/connect/v1/providers/{BROKEN}/disconnect")
    assert status == 200 and body["data"]["status"] == cx.DISCONNECTED, body
    assert (await raw(edge, connection_id))["credentials_sealed"] is None
    changes = (await events_of(edge, connection_id))[-1]["data"]["changes"]
    assert changes["provider_revoke"] == "failed" and changes["provider_revoke_error"], changes


async def test_an_api_key_disconnect_only_erases_the_key(edge: Edge) -> None:
    sim = sim_of(edge)
    status, body, _ = await edge.call("POST", f"/connect/v1/providers/{SIM_TYPE}/connect",
                                      {"credentials": {"apiKey": DOCUMENTED_KEY}})
    assert status == 201, body
    before = sim.revokes
    status, body, _ = await edge.call("DELETE", f"/connect/v1/providers/{SIM_TYPE}/disconnect")
    assert status == 200 and sim.revokes == before
    connection_id = body["data"]["connectionId"]
    assert (await raw(edge, connection_id))["credentials_sealed"] is None
    assert "provider_revoke" not in (await events_of(edge, connection_id))[-1]["data"]["changes"]


async def test_variants_keep_the_grant_until_the_last_one_goes(edge: Edge) -> None:
    sim = sim_of(edge)
    source = await connect(edge)
    status, variant, _ = await edge.call("POST", f"/api/pipelines/connections/{source}/variants", {})
    assert status == 201 and variant["status"] == cx.CONNECTED, variant
    before = sim.revokes
    status, _, _ = await edge.call("DELETE", f"/api/pipelines/connections/{source}")
    assert status == 200 and sim.revokes == before
    assert (await events_of(edge, source))[-1]["data"]["changes"]["provider_revoke"] == "shared"
    status, body, _ = await edge.call("POST", f"/connect/v1/proxy/{OAUTH_TYPE}", {"method": "GET", "path": "/me"})
    assert status == 200 and body["data"]["status"] == 200, body  # the variant's tokens still work
    status, _, _ = await edge.call("DELETE", f"/api/pipelines/connections/{variant['id']}")
    assert status == 200 and sim.revokes == before + 1


async def test_a_refused_refresh_marks_error_and_emits_credentials_invalid(edge: Edge) -> None:
    sim = sim_of(edge)
    connection_id = await connect(edge, who="b")
    sim.expire_access_tokens()
    sim.fail_next_refresh = "invalid_grant"
    status, body, _ = await edge.call("POST", f"/connect/v1/proxy/{OAUTH_TYPE}", {"method": "GET", "path": "/me"},
                                      who="b")
    assert status == 409 and body["error"]["code"] == "NOT_CONNECTED", body
    status, body, _ = await edge.call("GET", f"/api/pipelines/connections/{connection_id}", who="b")
    assert status == 200 and body["connection"]["status"] == cx.ERROR and body["connection"]["lastError"], body
    [invalid] = [e for e in await events_of(edge, connection_id) if e["type"] == "connection.credentials_invalid"]
    EVENT_MODELS["connection.credentials_invalid"].model_validate(invalid["data"])
    assert invalid["data"]["changes"]["status"] == cx.ERROR and invalid["schema_version"] == 1

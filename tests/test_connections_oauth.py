"""The OAuth 2.0 authorization code flow with PKCE through the gateway, on the real stack, against the OAuth provider
simulator registered as an operator provider: authorize (a DISCONNECTED connection, the provider's URL with a
PKCE challenge and a signed state), the user's consent at the simulator, the provider's redirect to the gateway's
callback (no API key: the state is the credential), the connection CONNECTED; the manual code paste (`exchange`);
replayed, forged and misbound states refused with nothing changed; no token, code or secret in any answer."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio

from connections.app.operations import Connections
from connections_contracts import connection as cx
from tests.connections_stack import OAUTH_TYPE, PUBLIC_BASE_URL, Edge, oauth_connections_edge
from tests.simulators.oauth_provider import OAuthProvider

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
AUTHORIZE = f"/api/pipelines/oauth/{OAUTH_TYPE}/authorize"
EXCHANGE = f"/api/pipelines/oauth/{OAUTH_TYPE}/exchange"


class Seen:
    """Every answer's body and headers, to look for secrets afterwards."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def secrets_of(self, sim: OAuthProvider) -> list[str]:
        return [*sim.access, *sim.refresh, sim.client_secret]

    def leaked(self, sim: OAuthProvider, codes: list[str]) -> list[str]:
        everything = "\n".join(self.texts)
        return [s for s in [*self.secrets_of(sim), *codes] if s in everything]


@pytest_asyncio.fixture(scope="module")
async def edge(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Edge]:
    async with oauth_connections_edge(Path(tmp_path_factory.mktemp("oauth")), set()) as running:
        yield running


@pytest.fixture(scope="module")
def seen() -> Seen:
    return Seen()


def sim_of(edge: Edge) -> OAuthProvider:
    assert edge.oauth is not None
    return edge.oauth


async def call(edge: Edge, seen: Seen, method: str, path: str, body: Any = None, who: str | None = "a",
               key: str = "all") -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {edge.keys[who][key]}"} if who else {}
    async with edge.http.request(method, edge.url + path, json=body, headers=headers) as resp:
        text = await resp.text()
        seen.texts.append(text + json.dumps(dict(resp.headers)))
        return resp.status, json.loads(text)


async def authorize(edge: Edge, seen: Seen, who: str = "a") -> tuple[str, dict[str, str]]:
    status, body = await call(edge, seen, "POST", AUTHORIZE, {"connectionName": "Sim OAuth"}, who)
    assert status == 200 and body["success"] is True and set(body) == {"success", "authorizeUrl", "connectionId"}, body
    query = {k: v[0] for k, v in parse_qs(urlsplit(body["authorizeUrl"]).query).items()}
    assert body["authorizeUrl"].startswith(sim_of(edge).authorize_url + "?")
    assert query["code_challenge_method"] == "S256" and query["client_id"] == sim_of(edge).client_id
    assert query["redirect_uri"] == f"{PUBLIC_BASE_URL}/api/pipelines/oauth/{OAUTH_TYPE}/callback"
    assert query["scope"] == "contacts.read profile" and query["access_type"] == "offline"
    return body["connectionId"], query


async def consent(edge: Edge, authorize_query: dict[str, str]) -> str:
    """The user consents at the provider, which redirects to the gateway's public callback: that URL's path and
    query (the test calls it on the gateway's real address)."""
    async with edge.http.get(sim_of(edge).authorize_url, params=authorize_query, allow_redirects=False) as resp:
        assert resp.status == 302, await resp.text()
        location = resp.headers["Location"]
    assert location.startswith(PUBLIC_BASE_URL + "/")
    return location.removeprefix(PUBLIC_BASE_URL)


def code_of(callback: str) -> str:
    return parse_qs(urlsplit(callback).query)["code"][0]


async def connection(edge: Edge, seen: Seen, connection_id: str, who: str = "a") -> dict[str, Any]:
    status, body = await call(edge, seen, "GET", f"/api/pipelines/connections/{connection_id}", who=who)
    assert status == 200, body
    return dict(body["connection"])


async def test_the_full_flow_through_the_gateway(edge: Edge, seen: Seen) -> None:
    sim = sim_of(edge)
    connection_id, query = await authorize(edge, seen)
    pending = await connection(edge, seen, connection_id)
    assert pending["status"] == cx.DISCONNECTED and pending["provider"] == OAUTH_TYPE and pending["name"] == "Sim OAuth"
    callback = await consent(edge, query)
    before = sim.exchanges
    status, body = await call(edge, seen, "GET", callback, who=None)  # no API key: the state is the credential
    assert status == 200 and body["success"] is True and body["message"] == "Connection authorized", body
    made = body["connection"]
    assert made["id"] == connection_id and made["status"] == cx.CONNECTED and made["connectedAt"], made
    assert made["credentialFields"] == ["accessToken", "refreshToken"] and made["credentialPreview"] is None
    assert sim.exchanges == before + 1
    assert (await connection(edge, seen, connection_id))["status"] == cx.CONNECTED
    status, body = await call(edge, seen, "GET", f"/connect/v1/providers/{OAUTH_TYPE}/status")
    assert status == 200 and body["data"]["connected"] is True and body["data"]["connectionId"] == connection_id
    # The tokens are held sealed: the raw read model holds none of them.
    raw = await edge.service.db[cx.COLLECTION].find_one({"_id": connection_id})
    assert raw is not None and raw["credentials_sealed"]
    assert not [s for s in seen.secrets_of(sim) if s in json.dumps(raw, default=str)]
    # ... and the service opens them: they work at the provider.
    tokens = Connections(edge.service).open(dict(raw))
    async with edge.http.get(f"{sim.url}/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}) as resp:
        assert resp.status == 200
    assert not seen.leaked(sim, [code_of(callback)])


async def test_a_replayed_state_is_refused_and_nothing_changes(edge: Edge, seen: Seen) -> None:
    sim = sim_of(edge)
    connection_id, query = await authorize(edge, seen)
    callback = await consent(edge, query)
    status, body = await call(edge, seen, "GET", callback, who=None)
    assert status == 200 and body["connection"]["status"] == cx.CONNECTED, body
    after_first = await connection(edge, seen, connection_id)
    exchanges = sim.exchanges
    status, body = await call(edge, seen, "GET", callback, who=None)
    assert status == 400 and body == {"success": False, "code": "OAUTH_STATE_INVALID", "message": body["message"],
                                      "details": {"reason": "replayed"}}, body
    assert sim.exchanges == exchanges and await connection(edge, seen, connection_id) == after_first
    # The same state pasted through exchange is spent too.
    status, body = await call(edge, seen, "POST", EXCHANGE, {"connectionId": connection_id, "code": code_of(callback),
                                                             "state": query["state"]})
    assert status in (400, 422) and body["success"] is False, body
    assert sim.exchanges == exchanges
    assert not seen.leaked(sim, [code_of(callback)])


def forge(state: str, **changes: Any) -> str:
    body, _, signature = state.partition(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims.update(changes)
    raw = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{raw}.{signature}"


async def test_a_forged_state_is_refused_and_nothing_changes(edge: Edge, seen: Seen) -> None:
    sim = sim_of(edge)
    connection_id, query = await authorize(edge, seen)
    callback = await consent(edge, query)
    state = parse_qs(urlsplit(callback).query)["state"][0]
    code = code_of(callback)
    exchanges = sim.exchanges
    path = f"/api/pipelines/oauth/{OAUTH_TYPE}/callback"
    for forged, reason in ((forge(state, workspace_id=edge.keys["b"]["workspace_id"]), "forged"),
                           (state.partition(".")[0] + ".AAAA", "forged"), ("not-a-state", "malformed"),
                           (forge(state, expires_at=0), "forged")):
        async with edge.http.get(edge.url + path, params={"code": code, "state": forged}) as resp:
            body = await resp.json()
            seen.texts.append(json.dumps(body))
            assert resp.status == 400 and body["code"] == "OAUTH_STATE_INVALID", body
            assert body["details"] == {"reason": reason}, body
    assert sim.exchanges == exchanges
    assert (await connection(edge, seen, connection_id))["status"] == cx.DISCONNECTED
    # Another workspace cannot finish it by exchange either (its connection is not theirs), and the state survives.
    status, body = await call(edge, seen, "POST", EXCHANGE, {"connectionId": connection_id, "code": code,
                                                             "state": state}, who="b")
    assert status == 404 and body["success"] is False and body["code"] == "NOT_FOUND", body
    # The genuine state still completes it.
    status, body = await call(edge, seen, "GET", callback, who=None)
    assert status == 200 and body["connection"]["status"] == cx.CONNECTED, body
    assert not seen.leaked(sim, [code])


async def test_the_manual_code_paste_exchange(edge: Edge, seen: Seen) -> None:
    sim = sim_of(edge)
    connection_id, query = await authorize(edge, seen)
    code = code_of(await consent(edge, query))
    status, body = await call(edge, seen, "POST", EXCHANGE, {"connectionId": connection_id, "code": code}, who="a",
                              key="none")
    assert status == 403, body  # pipelines:write is needed
    status, body = await call(edge, seen, "POST", EXCHANGE, {"connectionId": connection_id, "code": code})
    assert status == 200 and body["connection"]["status"] == cx.CONNECTED, body
    status, body = await call(edge, seen, "POST", EXCHANGE, {"connectionId": connection_id, "code": code})
    assert status == 422 and body["success"] is False, body  # no longer waiting for a code
    assert not seen.leaked(sim, [code])


async def test_authorize_refuses_a_key_provider_and_an_unknown_connector(edge: Edge, seen: Seen) -> None:
    status, body = await call(edge, seen, "POST", "/api/pipelines/oauth/junction_sim_crm/authorize", {})
    assert status == 422 and body["success"] is False and body["code"] == "VALIDATION_ERROR", body
    status, body = await call(edge, seen, "POST", "/api/pipelines/oauth/no_such_thing/authorize", {})
    assert status == 404 and body["code"] == "NOT_FOUND", body

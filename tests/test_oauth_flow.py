"""The OAuth 2.0 building blocks of the connections service against the OAuth provider simulator, registered
as an operator provider, with states and refresh leases on the real MongoDB-protocol server: the full code flow
with PKCE, replayed and misbound states, one refresh for 20 concurrent callers (by expiry and on a 401, from
two "replicas"), a failed refresh as a typed error, revocation, client credentials, an unreachable provider.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from connections.catalogue.loader import load_catalogue, read_manifest
from connections.catalogue.manifest import OAuth2Auth
from connections.oauth.authorize import authorize_url
from connections.oauth.pkce import new_pkce
from connections.oauth.refresh_lock import RefreshCoordinator, RefreshLeases
from connections.oauth.state import OAuthStates, StateRefused, StateSigner, state_key
from connections.oauth.tokens import ClientCredentials, OAuthError, ProviderUnavailable, TokenClient, Tokens
from junction_common.settings import JunctionSettings
from junction_common.testing.infra import free_port
from tests.simulators.oauth_provider import REDIRECT_URI, OAuthProvider, oauth_provider

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
Doc = dict[str, Any]


@dataclass
class Setup:
    sim: OAuthProvider
    auth: OAuth2Auth
    db: AsyncDatabase[Doc]
    http: aiohttp.ClientSession

    def client(self, **options: Any) -> TokenClient:
        creds = ClientCredentials(self.sim.client_id, self.sim.client_secret)
        return TokenClient(self.http, self.auth, creds, **options)

    def states(self) -> OAuthStates:  # one per "replica", sharing the collection
        return OAuthStates(self.db, StateSigner(state_key("test-signing-secret")), collection="oauth_states_used")

    async def me(self, tokens: Tokens) -> int:
        async with self.http.get(f"{self.sim.url}/me",
                                 headers={"Authorization": f"Bearer {tokens.access_token}"}) as resp:
            return resp.status


@pytest_asyncio.fixture
async def db() -> AsyncIterator[AsyncDatabase[Doc]]:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(JunctionSettings().mongodb_url, tz_aware=True)
    name = f"t{uuid.uuid4().hex[:10]}_oauth"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


# Two providers: RFC 6749/7009 to the letter, and one with JSON token requests and HubSpot's revocation.
VARIANTS: dict[str, dict[str, Any]] = {"rfc": {"token_auth": "client_secret_post"},
            "json_basic_path": {"token_auth": "client_secret_basic", "token_request": "json", "revoke_in_path": True}}


@pytest_asyncio.fixture(params=sorted(VARIANTS))
async def setup(request: pytest.FixtureRequest, tmp_path: Path, db: AsyncDatabase[Doc]) -> AsyncIterator[Setup]:
    options = VARIANTS[request.param]
    async with oauth_provider(token_auth=options["token_auth"]) as sim, aiohttp.ClientSession() as http:
        manifest = read_manifest(sim.write_manifest(tmp_path, "sim_oauth", **options))
        assert isinstance(manifest.auth, OAuth2Auth)
        yield Setup(sim, manifest.auth, db, http)


async def consent(s: Setup, states: OAuthStates, workspace_id: str = "ws_1") -> tuple[dict[str, str], str]:
    """authorize: a state and the URL; the user consents; the provider redirects back with code and state."""
    pkce = new_pkce()
    state, _ = states.issue(workspace_id=workspace_id, connection_id="conn_1", provider="sim_oauth",
                            redirect_uri=REDIRECT_URI, verifier_ref="pkce:conn_1")
    url = authorize_url(s.auth, client_id=s.sim.client_id, redirect_uri=REDIRECT_URI, state=state,
                        code_challenge=pkce.challenge)
    async with s.http.get(url, allow_redirects=False) as resp:
        assert resp.status == 302, await resp.text()
        location = resp.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}, pkce.verifier


async def connect(s: Setup) -> Tokens:
    states = s.states()
    back, verifier = await consent(s, states)
    claims = await states.verify(back["state"], workspace_id="ws_1", provider="sim_oauth")
    return await s.client().exchange_code(back["code"], claims.redirect_uri, {"pkce:conn_1": verifier}[
        claims.verifier_ref or ""])


async def test_the_simulator_registers_as_an_operator_provider(setup: Setup, tmp_path: Path) -> None:
    manifest = load_catalogue([tmp_path]).get("sim_oauth")  # the folder the fixture wrote, beside the built-ins
    assert manifest is not None and manifest.auth == setup.auth and str(manifest.api_base_url) == setup.sim.url + "/"


async def test_the_full_code_flow_with_pkce(setup: Setup) -> None:
    tokens = await connect(setup)
    assert tokens.refresh_token and tokens.expires_at and tokens.expires_at > datetime.now(UTC)
    assert tokens.scopes == ("contacts.read", "profile")
    assert await setup.me(tokens) == 200
    assert setup.sim.exchanges == 1 and set(setup.sim.auth_methods) == {setup.auth.token_auth}
    json_body = setup.auth.token_request == "json"
    assert setup.sim.content_types == ["application/json" if json_body else "application/x-www-form-urlencoded"]


async def test_a_wrong_verifier_or_a_second_use_of_the_code_is_invalid_grant(setup: Setup) -> None:
    back, verifier = await consent(setup, setup.states())
    with pytest.raises(OAuthError) as caught:
        await setup.client().exchange_code(back["code"], REDIRECT_URI, new_pkce().verifier)
    assert caught.value.error == "invalid_grant" and caught.value.credentials_invalid
    with pytest.raises(OAuthError):  # the code was spent by the failed attempt
        await setup.client().exchange_code(back["code"], REDIRECT_URI, verifier)


async def test_a_replayed_state_is_refused_on_any_replica(setup: Setup) -> None:
    first, second = setup.states(), setup.states()
    back, _ = await consent(setup, first)
    with pytest.raises(StateRefused) as caught:  # another workspace: refused, and not spent
        await second.verify(back["state"], workspace_id="ws_2")
    assert caught.value.reason == "wrong_workspace"
    await first.verify(back["state"], workspace_id="ws_1")
    for states in (first, second):
        with pytest.raises(StateRefused) as caught:
            await states.verify(back["state"], workspace_id="ws_1")
        assert caught.value.reason == "replayed"


class Stored:
    """The connection's stored tokens (the aggregate's part), in MongoDB like the real ones will be."""

    def __init__(self, s: Setup, connection_id: str = "conn_1") -> None:
        self.docs, self.id, self.client = s.db["test_tokens"], connection_id, s.client(timeout_s=5.0)

    async def put(self, tokens: Tokens) -> None:
        expires = tokens.expires_at.timestamp() if tokens.expires_at else None
        doc = {"_id": self.id, "access": tokens.access_token, "refresh": tokens.refresh_token, "expires": expires}
        await self.docs.replace_one({"_id": self.id}, doc, upsert=True)  # with its _id: nx-27017's quirk

    async def load(self) -> Tokens:
        doc = await self.docs.find_one({"_id": self.id})
        assert doc is not None
        expires = datetime.fromtimestamp(doc["expires"], UTC) if doc["expires"] is not None else None
        return Tokens(doc["access"], doc["refresh"], expires)

    async def refresh_and_store(self, tokens: Tokens) -> Tokens:
        assert tokens.refresh_token
        fresh = await self.client.refresh(tokens.refresh_token)
        await self.put(fresh)
        return fresh


def replicas(s: Setup) -> list[RefreshCoordinator]:
    leases = [RefreshLeases(s.db, collection="oauth_refresh_leases", lease_s=10.0) for _ in range(2)]
    return [RefreshCoordinator(lease, margin_s=60.0, poll_s=0.02) for lease in leases]


async def twenty(call: Callable[[RefreshCoordinator], Awaitable[Any]], s: Setup) -> list[Any]:
    coordinators = replicas(s)
    return await asyncio.gather(*(call(coordinators[i % 2]) for i in range(20)), return_exceptions=True)


async def expired_connection(s: Setup) -> tuple[Stored, Tokens]:
    stored = Stored(s)
    tokens = await connect(s)
    s.sim.expire_access_tokens()
    await stored.put(Tokens(tokens.access_token, tokens.refresh_token, datetime.fromtimestamp(0, UTC)))
    s.sim.refresh_delay_s = 0.3  # a slow provider: every caller arrives while the refresh is in flight
    return stored, tokens


async def test_an_expired_token_is_refreshed_exactly_once_for_20_callers(setup: Setup) -> None:
    stored, old = await expired_connection(setup)
    results = await twenty(lambda c: c.ensure_fresh("conn_1", stored.load, stored.refresh_and_store), setup)
    assert setup.sim.refreshes == 1, results
    assert len({r.access_token for r in results}) == 1 and results[0].access_token != old.access_token
    assert results[0].refresh_token != old.refresh_token  # rotated, and the rotation kept
    assert [await setup.me(r) for r in results[:3]] == [200, 200, 200]
    assert await setup.db["oauth_refresh_leases"].count_documents({}) == 0


async def test_a_401_refreshes_once_for_20_concurrent_calls(setup: Setup) -> None:
    stored = Stored(setup)
    await stored.put(await connect(setup))  # good for an hour by its expiry, yet the provider revoked it
    setup.sim.expire_access_tokens()
    setup.sim.refresh_delay_s = 0.3

    async def call(coordinator: RefreshCoordinator) -> int:
        tokens = await coordinator.ensure_fresh("conn_1", stored.load, stored.refresh_and_store)
        if (status := await setup.me(tokens)) != 401:
            return status
        tokens = await coordinator.ensure_fresh("conn_1", stored.load, stored.refresh_and_store, rejected=tokens)
        return await setup.me(tokens)

    assert await twenty(call, setup) == [200] * 20
    assert setup.sim.refreshes == 1


async def test_a_failed_refresh_is_one_typed_error(setup: Setup) -> None:
    stored, _ = await expired_connection(setup)
    setup.sim.fail_next_refresh = "invalid_grant"
    results = await twenty(lambda c: c.ensure_fresh("conn_1", stored.load, stored.refresh_and_store), setup)
    assert all(isinstance(r, OAuthError) and r.credentials_invalid for r in results), results
    assert setup.sim.refreshes == 1  # the other replica's waiters got the failure recorded on the lease
    lease = await setup.db["oauth_refresh_leases"].find_one({"_id": "conn_1"})
    assert lease is not None and (lease["lease_until"], lease["failed_error"]) == (0.0, "invalid_grant")
    fresh = await replicas(setup)[0].ensure_fresh("conn_1", stored.load, stored.refresh_and_store)  # a later call
    assert setup.sim.refreshes == 2 and await setup.me(fresh) == 200
    assert await setup.db["oauth_refresh_leases"].count_documents({}) == 0


async def test_revoke_ends_the_tokens_at_the_provider_and_no_log_holds_a_secret(
        setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    tokens = await connect(setup)
    assert tokens.refresh_token
    await setup.client().revoke(tokens)
    assert setup.sim.revokes == 1 and await setup.me(tokens) == 401
    assert tokens.refresh_token not in setup.sim.refresh
    with pytest.raises(OAuthError) as caught:
        await setup.client().refresh(tokens.refresh_token)
    assert caught.value.error == "invalid_grant"
    logged = capsys.readouterr()
    assert "oauth_tokens_granted" in logged.out + logged.err
    for secret in (tokens.access_token, tokens.refresh_token, setup.sim.client_secret, "sim-code-"):
        assert secret not in logged.out + logged.err + str(caught.value)


async def test_client_credentials_and_a_wrong_secret(setup: Setup) -> None:
    tokens = await setup.client().client_credentials()
    assert tokens.refresh_token is None and tokens.scopes == ("contacts.read", "profile")
    assert await setup.me(tokens) == 200
    wrong = TokenClient(setup.http, setup.auth, ClientCredentials(setup.sim.client_id, "not-the-secret"))
    with pytest.raises(OAuthError) as caught:
        await wrong.client_credentials()
    assert (caught.value.error, caught.value.status) == ("invalid_client", 401)
    assert "not-the-secret" not in str(caught.value)


async def test_an_unreachable_or_slow_provider_is_unavailable(setup: Setup) -> None:
    gone = setup.auth.model_copy(update={"token_url": f"http://127.0.0.1:{free_port()}/token"})
    with pytest.raises(ProviderUnavailable):
        await TokenClient(setup.http, gone, ClientCredentials("c", "s")).client_credentials()
    tokens = await connect(setup)
    setup.sim.refresh_delay_s = 1.0
    with pytest.raises(ProviderUnavailable):
        await setup.client(timeout_s=0.2).refresh(tokens.refresh_token or "")


async def test_a_lapsed_lease_is_taken_over_and_a_held_one_is_not(db: AsyncDatabase[Doc]) -> None:
    now = [1000.0]
    leases = RefreshLeases(db, collection="oauth_refresh_leases", lease_s=30.0, clock=lambda: now[0])
    crashed = await leases.acquire("conn_9")
    assert crashed is not None and await leases.acquire("conn_9") is None
    now[0] += 31
    successor = await leases.acquire("conn_9")
    assert successor is not None and successor != crashed
    await leases.release("conn_9", crashed)  # a late release by the crashed owner frees nothing
    assert await leases.acquire("conn_9") is None
    await leases.release("conn_9", successor)
    assert await leases.acquire("conn_9") is not None

"""A connections stack for tests: an API-key provider simulator (a real aiohttp app on a free port), an operator
folder whose manifest points a provider at it (loopback admitted by the test's own settings), the connections
service, a real gateway, and keys of two workspaces."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import yaml
from aiohttp import web

from conftest import Stack, isolated_stack, start_connections, start_gateway, start_webhooks
from junction_common.envelope import utcnow
from junction_common.identity import IdentityStore
from junction_common.mongo import create_client
from junction_common.service import ServiceRuntime
from junction_common.workspaces import create_workspace
from tests.aiohttp_runner import serving
from tests.receivers import Received, Receiver
from tests.simulators.api_key_provider import ApiKeyProvider, api_key_provider
from tests.simulators.manifests import write_manifest
from tests.simulators.oauth_provider import OAuthProvider, oauth_provider

SIM_TYPE = "junction_sim_crm"
DOCUMENTED_KEY = "your-api-key-here"  # the references' example key: the simulator accepts it too
SCOPES = ["providers.view", "providers.write", "pipelines:read", "pipelines:write", "pipelines:admin",
          "credentials:read", "credentials:write", "proxy.execute"]


@dataclass
class Simulator:
    """Answers GET /me with 200 to `Authorization: Bearer <a known key>`, else 401; remembers what it saw."""

    keys: set[str]
    url: str = ""
    seen: list[str] = field(default_factory=list)

    async def me(self, request: web.Request) -> web.Response:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.seen.append(given)
        if given in self.keys:
            return web.json_response({"id": "me"})
        return web.json_response({"error": "invalid key"}, status=401)


def sim_manifest(url: str) -> dict[str, Any]:
    """A complete API-key provider of the CRM_PLATFORM family, on the simulator."""
    schema = {"type": "object", "properties": {"email": {"type": "string"}}}
    return {
        "type": SIM_TYPE, "name": "Junction Sim CRM", "description": "An API-key CRM simulator for tests.",
        "categories": ["CRM"], "docs_url": "https://example.com/docs", "api_base_url": url,
        "connector_type": "CRM_PLATFORM",
        "auth": {"kind": "api_key", "location": "header", "name": "Authorization", "template": "Bearer {apiKey}"},
        "test": {"method": "GET", "path": "/me", "expect_status": 200},
        "streams": [{"name": "contacts", "path": "/contacts"}, {"name": "deals", "path": "/deals"}],
        "actions": [{"name": "create_contact", "label": "Create", "method": "POST", "path": "/contacts",
                     "input_schema": schema},
                    {"name": "create_deal", "label": "Create deal", "method": "POST", "path": "/deals",
                     "input_schema": schema}],
        "triggers": [{"name": "new_deal", "label": "New deal", "kind": "poll", "stream": "deals"}],
    }


@contextlib.asynccontextmanager
async def simulator(keys: set[str]) -> AsyncIterator[Simulator]:
    sim = Simulator(keys)
    app = web.Application()
    app.router.add_get("/me", sim.me)
    async with serving(app) as sim.url:
        yield sim


NO_SCOPES = ["nothing:read"]
KeySpec = dict[str, tuple[str, list[str]]]  # key label -> (role, scopes)
CONNECTION_KEYS: KeySpec = {"all": ("ADMIN", SCOPES), "none": ("MEMBER", NO_SCOPES)}


async def workspace_keys(stack: Stack, name: str, keys: KeySpec = CONNECTION_KEYS) -> dict[str, str]:
    """A new business workspace `name` with a key per label of `keys` (by default an ADMIN key with every
    connection scope, `all`, and a MEMBER key with none of them, `none`), and its `workspace_id`."""
    settings = stack.gateway
    workspace, _ = await create_workspace(settings, name, "business")
    client = create_client(settings, admin=True)
    try:
        store = IdentityStore(client[settings.db_name("identity")], settings.signing_secret)
        made = {label: await store.create_key(workspace["_id"], label, role, scopes, utcnow())
                for label, (role, scopes) in keys.items()}
        return {**made, "workspace_id": workspace["_id"]}
    finally:
        await client.close()


@dataclass
class Edge:
    url: str
    http: aiohttp.ClientSession
    stack: Stack
    sim: Simulator
    service: ServiceRuntime
    keys: dict[str, dict[str, str]]  # workspace label -> keys
    oauth: OAuthProvider | None = None  # the OAuth provider simulator, when the edge has one
    api: ApiKeyProvider | None = None  # the API-key provider simulator, when the edge has one
    settings: dict[str, Any] = field(default_factory=dict)  # the connections service's own, as started

    async def call(self, method: str, path: str, body: Any = None, who: str = "a",
                   key: str = "all") -> tuple[int, Any, dict[str, str]]:
        headers = {"Authorization": f"Bearer {self.keys[who][key]}"}
        async with self.http.request(method, self.url + path, json=body, headers=headers) as resp:
            return resp.status, await resp.json(), dict(resp.headers)

    async def restart(self, **changed: Any) -> ServiceRuntime:
        """The connections service stopped and started again with `changed` settings (vault keys, say)."""
        await self.service.stop()
        self.service = await start_connections(self.stack, **{**self.settings, **changed})
        return self.service


def _providers(tmp: Path, sim: Simulator) -> Path:
    """The operator folder, holding the simulator's provider `junction_sim_crm`."""
    folder = tmp / "providers"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{SIM_TYPE}.yaml").write_text(yaml.safe_dump(sim_manifest(sim.url)))
    return folder


@contextlib.asynccontextmanager
async def _edge(stack: Stack, sim: Simulator, folder: Path, settings: dict[str, Any],
                oauth: OAuthProvider | None = None, api: ApiKeyProvider | None = None) -> AsyncIterator[Edge]:
    """The connections service on `folder`'s providers (loopback admitted; `settings` over its own), a gateway, and
    the keys of workspaces A and B."""
    settings = {"provider_dirs": str(folder), "provider_allow_networks": "127.0.0.0/8", **settings}
    service = await start_connections(stack, **settings)
    edge: Edge | None = None
    try:
        async with start_gateway(stack.gateway) as gateway, aiohttp.ClientSession() as http:
            keys_by = {"a": await workspace_keys(stack, "A"), "b": await workspace_keys(stack, "B")}
            edge = Edge(gateway.url, http, stack, sim, service, keys_by, oauth, api, settings)
            yield edge
    finally:
        await (edge.service if edge else service).stop()


@contextlib.asynccontextmanager
async def connections_edge(tmp: Path, keys: set[str]) -> AsyncIterator[Edge]:
    async with isolated_stack() as stack, simulator(keys) as sim, _edge(stack, sim, _providers(tmp, sim), {}) as edge:
        yield edge


OAUTH_TYPE = "sim_oauth"
PUBLIC_BASE_URL = "https://app.junction.test"  # the gateway's public address, as registered with the provider


@contextlib.asynccontextmanager
async def oauth_connections_edge(tmp: Path, keys: set[str],
                                 more_oauth: Callable[[OAuthProvider], list[dict[str, Any]]] | None = None,
                                 **settings: Any) -> AsyncIterator[Edge]:
    """The edge of `connections_edge` plus the OAuth provider simulator as the operator provider `sim_oauth`, the
    operator's OAuth app for it (JUNCTION_OAUTH_CLIENTS) and the gateway's public callback URL registered there;
    `more_oauth` gives further manifests on the same simulator (the same app and registration each);
    `settings` override the connections service's."""
    async with isolated_stack() as stack, simulator(keys) as sim, oauth_provider() as oauth:
        folder = _providers(tmp, sim)
        manifests = [oauth.manifest(OAUTH_TYPE), *(more_oauth(oauth) if more_oauth else [])]
        app = {"client_id": oauth.client_id, "client_secret": oauth.client_secret}
        for manifest in manifests:
            write_manifest(folder, manifest)
            oauth.redirect_uris.add(f"{PUBLIC_BASE_URL}/api/pipelines/oauth/{manifest['type']}/callback")
        clients = json.dumps({manifest["type"]: app for manifest in manifests})
        async with _edge(stack, sim, folder, {"oauth_clients": clients, "public_base_url": PUBLIC_BASE_URL,
                                              **settings}, oauth=oauth) as edge:
            yield edge


async def oauth_authorized(edge: Edge) -> str:
    """An OAuth connection through the authorize flow (authorize URL, the provider's consent, the callback)."""
    assert edge.oauth is not None
    status, body, _ = await edge.call("POST", f"/api/pipelines/oauth/{OAUTH_TYPE}/authorize", {})
    assert status == 200, body
    query = {k: v[0] for k, v in parse_qs(urlsplit(body["authorizeUrl"]).query).items()}
    async with edge.http.get(edge.oauth.authorize_url, params=query, allow_redirects=False) as resp:
        callback = resp.headers["Location"].removeprefix(PUBLIC_BASE_URL)
    async with edge.http.get(edge.url + callback) as resp:
        assert resp.status == 200, await resp.text()
    return str(body["connectionId"])


API_KEY_TYPE = "sim_api_key"


@contextlib.asynccontextmanager
async def proxy_connections_edge(tmp: Path, keys: set[str], **settings: Any) -> AsyncIterator[Edge]:
    """The edge of `connections_edge` plus the API-key provider simulator (`tests/simulators/api_key_provider.py`:
    its key in `Authorization: Bearer`, 429/5xx on command, every request recorded) as the operator provider
    `sim_api_key`; `settings` override the connections service's (the proxy's caps, say)."""
    async with isolated_stack() as stack, simulator(keys) as sim, api_key_provider() as api:
        folder = _providers(tmp, sim)
        api.write_manifest(folder, API_KEY_TYPE)
        async with _edge(stack, sim, folder, settings, api=api) as edge:
            yield edge


HOOK_SCOPES = ["providers.view", "providers.write", "webhooks.view", "webhooks.write"]


async def admin_key(stack: Stack, name: str, scopes: list[str]) -> str:
    """An ADMIN key with `scopes` of a new business workspace `name`."""
    label = name.lower()
    return (await workspace_keys(stack, name, {label: ("ADMIN", scopes)}))[label]


@dataclass
class HooksEdge:
    """The gateway in front of the connections service (and the webhooks service, when started): calls with a
    workspace's key, and a provider's calls on an incoming URL (no Junction credential)."""

    url: str
    http: aiohttp.ClientSession
    stack: Stack
    keys: dict[str, str]  # workspace label -> ADMIN key
    services: dict[str, ServiceRuntime]  # "connections", "webhooks"
    settings: dict[str, dict[str, Any]]  # each service's own settings, as started

    @property
    def key(self) -> str:
        return self.keys["a"]

    async def call(self, method: str, path: str, body: Any = None, who: str = "a") -> tuple[int, Any]:
        async with self.http.request(method, self.url + path, json=body,
                                     headers={"Authorization": f"Bearer {self.keys[who]}"}) as resp:
            return resp.status, await resp.json()

    async def deliver(self, incoming_url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        """POST as the provider would: the raw body, its own headers."""
        async with self.http.post(self.url + urlsplit(incoming_url).path, data=body, headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)

    async def provider(self, method: str, incoming_url: str, params: dict[str, str] | None = None,
                       body: bytes = b"", headers: dict[str, str] | None = None) -> tuple[int, str, Any]:
        """Any call as the provider makes it (a handshake): status, text and headers of the answer."""
        async with self.http.request(method, self.url + urlsplit(incoming_url).path, params=params, data=body,
                                     headers=headers or {}) as resp:
            return resp.status, await resp.text(), resp.headers

    async def restart(self, **changed: Any) -> None:
        """Every service stopped and started again with `changed` settings (vault keys, say) over their own."""
        for service in self.services.values():
            await service.stop()
        self.services = {}
        for name, own in self.settings.items():
            self.services[name] = await _START[name](self.stack, **{**own, **changed})


_START = {"connections": start_connections, "webhooks": start_webhooks}


@contextlib.asynccontextmanager
async def hooks_edge(workspaces: tuple[str, ...], scopes: list[str] = HOOK_SCOPES,
                     connections: dict[str, Any] | None = None,
                     webhooks: dict[str, Any] | None = None) -> AsyncIterator[HooksEdge]:
    """A stack with the connections service (`connections`: its settings), the webhooks service when `webhooks`
    (its settings) is given, a gateway, and an ADMIN key with `scopes` per workspace (labelled a, b, ...)."""
    settings = {"connections": connections or {}, **({"webhooks": webhooks} if webhooks is not None else {})}
    async with isolated_stack() as stack:
        services: dict[str, ServiceRuntime] = {}
        edge: HooksEdge | None = None
        try:
            for name, own in settings.items():
                services[name] = await _START[name](stack, **own)
            async with start_gateway(stack.gateway) as gateway, aiohttp.ClientSession() as http:
                keys = {chr(ord("a") + i): await admin_key(stack, name, scopes) for i, name in enumerate(workspaces)}
                edge = HooksEdge(gateway.url, http, stack, keys, services, settings)
                yield edge
        finally:
            for service in (edge.services if edge else services).values():
                await service.stop()


async def arrivals(hook: Receiver, at_least: int, event_type: str | None = None) -> list[Received]:
    """What `hook` received (of `event_type`, when given) once `at_least` of it arrived (or after 20 s)."""
    for _ in range(200):
        if len(hook.of_type(event_type) if event_type else hook.received) >= at_least:
            break
        await asyncio.sleep(0.1)
    return hook.of_type(event_type) if event_type else hook.received

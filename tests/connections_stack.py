"""A connections stack for tests: an API-key provider simulator (a real aiohttp app on a free port), an operator
folder whose manifest points a provider at it (loopback admitted by the test's own settings), the connections
service, a real gateway, and keys of two workspaces."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

from conftest import Stack, isolated_stack, start_connections, start_gateway
from junction_common.envelope import utcnow
from junction_common.identity import IdentityStore
from junction_common.mongo import create_client
from junction_common.service import ServiceRuntime
from junction_common.testing.infra import free_port
from junction_common.workspaces import create_workspace
from tests.simulators.api_key_provider import ApiKeyProvider, api_key_provider
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
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    sim.url = f"http://127.0.0.1:{port}"
    try:
        yield sim
    finally:
        await runner.cleanup()


async def workspace_keys(stack: Stack, name: str) -> dict[str, str]:
    """An ADMIN key with every connection scope (`all`) and a MEMBER key with none of them (`none`)."""
    settings = stack.gateway
    workspace, _ = await create_workspace(settings, name, "business")
    client = create_client(settings)
    try:
        store = IdentityStore(client[settings.db_name("identity")], settings.signing_secret)
        return {"all": await store.create_key(workspace["_id"], "all", "ADMIN", SCOPES, utcnow()),
                "none": await store.create_key(workspace["_id"], "none", "MEMBER", ["nothing:read"], utcnow()),
                "workspace_id": workspace["_id"]}
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

    async def call(self, method: str, path: str, body: Any = None, who: str = "a",
                   key: str = "all") -> tuple[int, Any, dict[str, str]]:
        headers = {"Authorization": f"Bearer {self.keys[who][key]}"}
        async with self.http.request(method, self.url + path, json=body, headers=headers) as resp:
            return resp.status, await resp.json(), dict(resp.headers)


@contextlib.asynccontextmanager
async def connections_edge(tmp: Path, keys: set[str]) -> AsyncIterator[Edge]:
    async with isolated_stack() as stack, simulator(keys) as sim:
        folder = tmp / "providers"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{SIM_TYPE}.yaml").write_text(yaml.safe_dump(sim_manifest(sim.url)))
        service = await start_connections(stack, provider_dirs=str(folder), provider_allow_networks="127.0.0.0/8")
        try:
            async with start_gateway(stack.gateway) as gateway, aiohttp.ClientSession() as http:
                keys_by = {"a": await workspace_keys(stack, "A"), "b": await workspace_keys(stack, "B")}
                yield Edge(gateway.url, http, stack, sim, service, keys_by)
        finally:
            await service.stop()


OAUTH_TYPE = "sim_oauth"
PUBLIC_BASE_URL = "https://app.junction.test"  # the gateway's public address, as registered with the provider


@contextlib.asynccontextmanager
async def oauth_connections_edge(tmp: Path, keys: set[str], **settings: Any) -> AsyncIterator[Edge]:
    """The edge of `connections_edge` plus the OAuth provider simulator as the operator provider `sim_oauth`, the
    operator's OAuth app for it (JUNCTION_OAUTH_CLIENTS) and the gateway's public callback URL registered there;
    `settings` override the connections service's."""
    async with isolated_stack() as stack, simulator(keys) as sim, oauth_provider() as oauth:
        folder = tmp / "providers"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{SIM_TYPE}.yaml").write_text(yaml.safe_dump(sim_manifest(sim.url)))
        oauth.write_manifest(folder, OAUTH_TYPE)
        oauth.redirect_uris.add(f"{PUBLIC_BASE_URL}/api/pipelines/oauth/{OAUTH_TYPE}/callback")
        clients = json.dumps({OAUTH_TYPE: {"client_id": oauth.client_id, "client_secret": oauth.client_secret}})
        service = await start_connections(stack, provider_dirs=str(folder), provider_allow_networks="127.0.0.0/8",
                                          oauth_clients=clients, public_base_url=PUBLIC_BASE_URL, **settings)
        try:
            async with start_gateway(stack.gateway) as gateway, aiohttp.ClientSession() as http:
                keys_by = {"a": await workspace_keys(stack, "A"), "b": await workspace_keys(stack, "B")}
                yield Edge(gateway.url, http, stack, sim, service, keys_by, oauth)
        finally:
            await service.stop()


API_KEY_TYPE = "sim_api_key"


@contextlib.asynccontextmanager
async def proxy_connections_edge(tmp: Path, keys: set[str], **settings: Any) -> AsyncIterator[Edge]:
    """The edge of `connections_edge` plus the API-key provider simulator (`tests/simulators/api_key_provider.py`:
    its key in `Authorization: Bearer`, 429/5xx on command, every request recorded) as the operator provider
    `sim_api_key`; `settings` override the connections service's (the proxy's caps, say)."""
    async with isolated_stack() as stack, simulator(keys) as sim, api_key_provider() as api:
        folder = tmp / "providers"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{SIM_TYPE}.yaml").write_text(yaml.safe_dump(sim_manifest(sim.url)))
        api.write_manifest(folder, API_KEY_TYPE)
        service = await start_connections(stack, provider_dirs=str(folder), provider_allow_networks="127.0.0.0/8",
                                          **settings)
        try:
            async with start_gateway(stack.gateway) as gateway, aiohttp.ClientSession() as http:
                keys_by = {"a": await workspace_keys(stack, "A"), "b": await workspace_keys(stack, "B")}
                yield Edge(gateway.url, http, stack, sim, service, keys_by, api=api)
        finally:
            await service.stop()

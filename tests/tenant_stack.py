"""A connections stack for tenant integrations and custom providers: the API-key provider simulator (a real aiohttp
app), the connections service with NO operator folder (loopback admitted by the operator's address policy only),
a real gateway, and per workspace an ADMIN key, a MEMBER key with the same scopes, and a key with none."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from conftest import Stack, isolated_stack, start_connections, start_gateway
from junction_common.service import ServiceRuntime
from tests.connections_stack import NO_SCOPES, KeySpec, workspace_keys
from tests.simulators.api_key_provider import ApiKeyProvider, api_key_provider
from tests.simulators.oauth_provider import OAuthProvider, oauth_provider

PUBLIC_BASE_URL = "https://app.junction.test"  # the gateway's public address, as registered with the provider
SCOPES = ["providers.view", "providers.write", "proxy.execute", "integrations:read", "integrations:write",
          "pipelines:read", "pipelines:write", "pipelines:admin", "credentials:read", "credentials:write"]


TENANT_KEYS: KeySpec = {"admin": ("ADMIN", SCOPES), "member": ("MEMBER", SCOPES), "none": ("MEMBER", NO_SCOPES)}


@dataclass
class TenantEdge:
    url: str
    http: aiohttp.ClientSession
    stack: Stack
    service: ServiceRuntime
    api: ApiKeyProvider
    oauth: OAuthProvider
    keys: dict[str, dict[str, str]]

    async def call(self, method: str, path: str, body: Any = None, who: str = "a",
                   key: str = "admin") -> tuple[int, Any, dict[str, str]]:
        headers = {"Authorization": f"Bearer {self.keys[who][key]}"}
        async with self.http.request(method, self.url + path, json=body, headers=headers) as resp:
            return resp.status, await resp.json(), dict(resp.headers)

    async def anonymous(self, method: str, path: str, body: Any = None,
                        headers: dict[str, str] | None = None) -> tuple[int, Any]:
        async with self.http.request(method, self.url + path, json=body, headers=headers or {}) as resp:
            return resp.status, await resp.json()


@contextlib.asynccontextmanager
async def tenant_edge(**settings: Any) -> AsyncIterator[TenantEdge]:
    """No `provider_dirs`: a custom provider registered through the API is the only way to the simulators (the
    API-key one and the OAuth 2.0 one, whose app a workspace brings in its authorize request)."""
    async with isolated_stack() as stack, api_key_provider() as api, oauth_provider() as oauth:
        service = await start_connections(stack, provider_allow_networks="127.0.0.0/8",
                                          public_base_url=PUBLIC_BASE_URL, **settings)
        try:
            async with start_gateway(stack.gateway) as gateway, aiohttp.ClientSession() as http:
                keys = {who: await workspace_keys(stack, who.upper(), TENANT_KEYS) for who in ("a", "b")}
                yield TenantEdge(gateway.url, http, stack, service, api, oauth, keys)
        finally:
            await service.stop()

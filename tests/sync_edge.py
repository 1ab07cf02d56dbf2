"""A sync stack for the connect-api tests (records, tables): the sync service, a real gateway, and the keys of two
business workspaces and a free one."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from conftest import Stack, create_workspace, isolated_stack, start_gateway, start_sync
from junction_common.service import ServiceRuntime
from tests.api import call


@dataclass
class SyncEdge:
    url: str  # the gateway's /connect/v1
    key: str  # a business workspace's
    other: str  # another business workspace's
    free: str  # a free workspace's
    workspace_id: str  # the workspace of `key`
    stack: Stack
    sync: ServiceRuntime
    http: aiohttp.ClientSession

    async def call(self, method: str, path: str, body: Any = None, key: str | None = None) -> tuple[int, Any]:
        return await call(self.http, method, self.url + path, key or self.key, body)


@contextlib.asynccontextmanager
async def sync_edge(name: str, **sync_settings: Any) -> AsyncIterator[SyncEdge]:
    """The stack, its workspaces named `<name> A`, `<name> B` and `<name> Free`."""
    async with isolated_stack() as stack:
        sync = await start_sync(stack, **sync_settings)
        try:
            workspace_id, key = await create_workspace(stack.gateway, f"{name} A", plan="business")
            _, other = await create_workspace(stack.gateway, f"{name} B", plan="business")
            _, free = await create_workspace(stack.gateway, f"{name} Free", plan="free")
            async with start_gateway(stack.gateway) as gw, aiohttp.ClientSession() as http:
                yield SyncEdge(gw.url + "/connect/v1", key, other, free, workspace_id, stack, sync, http)
        finally:
            await sync.stop()

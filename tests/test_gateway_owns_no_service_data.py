"""The gateway reads no service's database: every database command its MongoDB client sends, while every GET
route of its OpenAPI document and a few writes are called, names the gateway's own databases (identity, gateway)
and no other.

The gateway's client is built with a command listener (pymongo's monitoring API) instead of the plain one; the
services run beside it on the same server, so a read of theirs that the gateway made itself would show here.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient, monitoring

import gateway.main
from conftest import (
    create_workspace,
    isolated_stack,
    start_connections,
    start_flows,
    start_gateway,
    start_sync,
    start_webhooks,
    wait_set_up,
)
from crm.main import create_spec
from junction_common.service import ServiceRuntime
from junction_common.settings import JunctionSettings
from tests.api import call

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]
_PARAM = re.compile(r"\{[A-Za-z_]+\}")


class DatabasesSeen(monitoring.CommandListener):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.add(event.database_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest_asyncio.fixture(scope="module")
async def seen() -> AsyncIterator[tuple[DatabasesSeen, JunctionSettings, str, Any]]:
    listener = DatabasesSeen()
    patch = pytest.MonkeyPatch()

    def watched_client(settings: JunctionSettings) -> AsyncMongoClient[dict[str, Any]]:
        return AsyncMongoClient(settings.mongodb_url, tz_aware=True, event_listeners=[listener])

    patch.setattr(gateway.main, "create_client", watched_client)
    async with isolated_stack() as stack:
        crm = ServiceRuntime(create_spec(), stack.crm)
        await crm.start()
        hooks = await start_webhooks(stack)
        connections = await start_connections(stack)
        others = [await start_sync(stack), await start_flows(stack)]
        try:
            async with start_gateway(stack.gateway) as gw, aiohttp.ClientSession() as http:
                workspace_id, key = await create_workspace(stack.gateway, plan="business")
                await wait_set_up(stack.gateway, workspace_id)
                await _exercise(http, gw.url, key)
                yield listener, stack.gateway, workspace_id, gw
        finally:
            for runtime in others:
                await runtime.stop()
            await connections.stop()
            await hooks.stop()
            await crm.stop()
            patch.undo()


async def _exercise(http: aiohttp.ClientSession, base: str, key: str) -> None:
    """Writes of two services, then every GET route of the OpenAPI document (path parameters: an unknown id)."""
    status, body = await call(http, "POST", base + "/v1/contacts", key, {"name": "Ada Lovelace"})
    assert status == 201, body
    status, body = await call(http, "POST", base + "/v1/webhooks", key,
                              {"name": "Hook", "url": "http://127.0.0.1:9/hook", "event_types": ["contact.created"]})
    assert status == 201, body
    async with http.get(base + "/openapi.json") as resp:
        schema = await resp.json()
    for path, item in schema["paths"].items():
        get = item.get("get")
        if not isinstance(get, dict) or get.get("x-implemented") is False:
            continue
        status, _ = await call(http, "GET", base + _PARAM.sub("x_missing", path), key)
        assert status < 500 or status == 501, (path, status)


def test_the_gateway_touched_only_its_own_databases(seen: tuple[DatabasesSeen, JunctionSettings, str, Any]) -> None:
    listener, settings, _, _ = seen
    own = {settings.db_name("identity"), settings.db_name("gateway"), "admin"}
    assert listener.names, "the listener saw no command: the gateway's client was not the watched one"
    assert settings.db_name("identity") in listener.names  # authentication went through the watched client
    assert listener.names <= own, f"the gateway read a service's database: {sorted(listener.names - own)}"

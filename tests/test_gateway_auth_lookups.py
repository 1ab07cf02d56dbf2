"""Requests that miss the auth cache together share one key lookup (a busy key's entry ending must not send
every concurrent request to the identity database)."""

from __future__ import annotations

import asyncio

import pytest
from pymongo import monitoring

from conftest import create_workspace, start_gateway

pytestmark = pytest.mark.integration


class KeyLookups(monitoring.CommandListener):
    """Counts one database's key lookups: `find` on `api_keys` by key hash."""

    def __init__(self, database: str) -> None:
        self.database, self.count = database, 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if (event.database_name == self.database and event.command_name == "find"
                and event.command.get("find") == "api_keys" and "key_hash" in event.command.get("filter", {})):
            self.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_concurrent_requests_with_an_uncached_key_look_it_up_once(stack_settings, http):
    settings = stack_settings.gateway
    lookups = KeyLookups(settings.db_name("identity"))
    monitoring.register(lookups)  # before the gateway's client is made: only later clients see it
    async with start_gateway(settings) as gateway:
        _, key = await create_workspace(settings, plan="business")

        async def listed() -> int:
            async with http.get(f"{gateway.url}/v1/api-keys", headers={"Authorization": f"Bearer {key}"}) as resp:
                return resp.status

        statuses = await asyncio.gather(*(listed() for _ in range(20)))
    assert statuses == [200] * 20
    assert lookups.count == 1

"""Fixtures of the storage contract suite: the server under test, and a database of its own per test.

The server is the one `JUNCTION_MONGODB_URL` names (`make test-storage`), else the managed local one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from pymongo.asynchronous.database import AsyncDatabase

from junction_common.infra.mongo import identify
from junction_common.mongo import Doc, create_client
from junction_common.settings import JunctionSettings
from junction_common.testing.infra import drop_databases, isolated
from tests.storage.server import Server, server_from


def pytest_report_header(config: pytest.Config) -> str:
    url = JunctionSettings().mongodb_url
    info = identify(url)
    return f"storage contract on: {server_from(info) if info else 'no server answering'} at {url}"


@pytest_asyncio.fixture(scope="session")
async def server() -> Server:
    """What the server under test says it is (its kind decides which quirks are expected)."""
    url = JunctionSettings().mongodb_url
    info = await asyncio.to_thread(identify, url)
    if not info:
        pytest.fail(f"no MongoDB-protocol server answers at {url}")
    return server_from(info)


@pytest.fixture
def settings() -> JunctionSettings:
    """Names no other test shares (a uuid database prefix)."""
    return isolated(JunctionSettings)


@pytest_asyncio.fixture
async def db(settings: JunctionSettings) -> AsyncIterator[AsyncDatabase[Doc]]:
    """A database of this test's own, dropped afterwards."""
    client = create_client(settings)
    try:
        yield client[settings.db_name("storage")]
    finally:
        await client.close()
        await drop_databases(settings)

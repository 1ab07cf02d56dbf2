"""Isolation on shared real infrastructure: each test gets its own topic prefix and database prefix."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import random
import re
import socket
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient
from pymongo.errors import OperationFailure

from junction_common.settings import JunctionSettings

S = TypeVar("S", bound=JunctionSettings)


# A test's names start with t<minute stamp, 7 hex><random, 6 hex> so that what a killed run left behind can be
# told by age; names of the older form t<10 hex> carry no stamp and count as stale.
_TEST_NAME = re.compile(r"^t(?:([0-9a-f]{7})[0-9a-f]{6}|[0-9a-f]{10})[._]")
STALE_AFTER_S = 3600.0  # no test holds its names this long (a test times out after 300 s)


def _tag() -> str:
    return f"{int(time.time() // 60):07x}{uuid.uuid4().hex[:6]}"


def is_stale_test_name(name: str, now: float | None = None) -> bool:
    """True for a topic, group or database a test created over STALE_AFTER_S ago (or of the unstamped form)."""
    match = _TEST_NAME.match(name)
    if match is None:
        return False
    if match.group(1) is None:
        return True
    minutes = int(match.group(1), 16)
    return ((now if now is not None else time.time()) - minutes * 60) > STALE_AFTER_S


def isolated(cls: type[S], **overrides: Any) -> S:
    """Settings whose topics and databases no other test shares."""
    tag = _tag()
    base = JunctionSettings()
    values: dict[str, Any] = {
        "env": "test",
        "kafka_bootstrap": base.kafka_bootstrap,
        "mongodb_url": base.mongodb_url,
        "home": base.home,
        "topic_prefix": f"t{tag}.",
        "db_prefix": f"t{tag}_",
        "log_json": True,
        **overrides,
    }
    return cls(**values)


def env_of(settings: JunctionSettings) -> dict[str, str]:
    """The JUNCTION_* variables that make a subprocess see the same isolated names."""
    return {
        "JUNCTION_ENV": settings.env,
        "JUNCTION_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "JUNCTION_MONGODB_URL": settings.mongodb_url,
        "JUNCTION_TOPIC_PREFIX": settings.topic_prefix,
        "JUNCTION_DB_PREFIX": settings.db_prefix,
        "JUNCTION_LOG_JSON": "true",
        "JUNCTION_HOME": str(settings.home),
        "JUNCTION_INTERNAL_PORT": str(settings.internal_port),
    }


# Ports handed out by this process (never twice), from below Linux's ephemeral range (32768-60999): a port
# from bind(0) is an ephemeral one, and an outgoing connection opened after it was checked may take it before
# the test's server binds it ("address already in use"); a port below that range is taken only by an explicit bind.
# Under pytest-xdist each worker draws from its own slice of the range, so two workers never pick the same port.
_HANDED_OUT: set[int] = set()
_LOW, _HIGH = 20000, 32000
_SLICES = 8


def _port_range() -> tuple[int, int]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return _LOW, _HIGH
    width = (_HIGH - _LOW) // _SLICES
    low = _LOW + (int(worker[2:]) % _SLICES) * width
    return low, low + width


def free_port() -> int:
    """A loopback port no socket holds now, from outside the ephemeral range, not handed out before."""
    low, high = _port_range()
    for _ in range(200):
        port = random.randrange(low, high)
        if port in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError(f"no free loopback port between {low} and {high}")


async def drop_databases(settings: JunctionSettings) -> None:
    """Remove every database a test created (its db prefix). Never fails the test: a database still there is
    left to the stale-name purge."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongodb_url)
    try:
        names = await _transient_io(client.list_database_names)
        for name in names or []:
            if name.startswith(settings.db_prefix):
                await _transient_io(functools.partial(client.drop_database, name))
    finally:
        await client.close()


R = TypeVar("R")


async def _transient_io(call: Callable[[], Awaitable[R]]) -> R | None:
    """Run a database-wide call (listing or dropping databases). nx-27017 may answer "disk I/O error" to one of
    them while another process drops a database at the same moment (tests run in two processes; measured: only
    these calls, never reads and writes of documents): retried, then given up with a warning (None)."""
    for attempt in range(6):
        try:
            return await call()
        except OperationFailure as exc:
            if "disk I/O error" not in str(exc):
                raise
            await asyncio.sleep(0.2 * (attempt + 1))
    warnings.warn("test databases not dropped (the server kept answering disk I/O error)", stacklevel=2)
    return None


async def drop_kafka(settings: JunctionSettings) -> None:
    """Delete the topics and consumer groups a test created (its topic prefix)."""
    if not settings.topic_prefix:
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(settings.topic_prefix)]
        if topics:
            await admin.delete_topics(topics)
        groups = [g for g, _ in await admin.list_consumer_groups() if str(g).startswith(settings.topic_prefix)]
        if groups:
            with contextlib.suppress(Exception):
                await admin.delete_consumer_groups(groups)
    finally:
        await admin.close()


async def purge_stale(settings: JunctionSettings) -> tuple[int, int]:
    """Delete the topics, consumer groups and databases earlier test runs left behind (killed before their
    teardown): a broker that keeps thousands of dead partitions starts slowly. Returns (topics, databases)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if is_stale_test_name(t)]
        for start in range(0, len(topics), 200):
            await admin.delete_topics(topics[start:start + 200])
        with contextlib.suppress(Exception):  # a broker just started may still be loading its groups
            groups = [g for g, _ in await admin.list_consumer_groups() if is_stale_test_name(str(g))]
            if groups:
                await admin.delete_consumer_groups(groups)
    finally:
        await admin.close()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongodb_url, serverSelectionTimeoutMS=5000)
    try:
        names = [n for n in await _transient_io(client.list_database_names) or [] if is_stale_test_name(n)]
        for name in names:
            await _transient_io(functools.partial(client.drop_database, name))
    finally:
        await client.close()
    return len(topics), len(names)


async def eventually(check: Any, timeout: float = 30.0, interval: float = 0.1) -> Any:
    """Await `check()` until it returns a truthy value; fail with the last value after `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: Any = None
    while loop.time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")

"""Event store on the real MongoDB-protocol server: optimistic concurrency and command idempotency."""

from __future__ import annotations

import pytest
import pytest_asyncio

from junction_common.envelope import CommandEnvelope, NewEvent, stamp, utcnow
from junction_common.mongo import create_client
from junction_common.settings import JunctionSettings
from junction_common.store.event_store import Commit, ConcurrencyError, DuplicateCommandError, EventStore
from junction_common.testing.infra import drop_databases, isolated

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def store():
    settings = isolated(JunctionSettings)
    client = create_client(settings)
    es = EventStore(client[settings.db_name("es")])
    await es.ensure_indexes()
    yield es
    await client.close()
    await drop_databases(settings)


def commit_for(stream: str, base: int, command_id: str, n: int = 1) -> Commit:
    cmd = CommandEnvelope(command_id=command_id, type="Do", aggregate_id=stream, workspace_id="wrk_1")
    events = stamp(cmd, [NewEvent(type="thing.done", data={"i": i}) for i in range(n)], stream, base, utcnow())
    return Commit(stream, base, command_id, "wrk_1", events)


async def test_append_and_load_in_order(store):
    await store.append(commit_for("s1", 0, "c1", 2), utcnow())
    await store.append(commit_for("s1", 2, "c2", 1), utcnow())
    events, version = await store.load("s1")
    assert version == 3
    assert [e.version for e in events] == [1, 2, 3]
    assert [e.command_id for e in events] == ["c1", "c1", "c2"]


async def test_two_writers_from_the_same_version_conflict(store):
    await store.append(commit_for("s2", 0, "a"), utcnow())
    with pytest.raises(ConcurrencyError):
        await store.append(commit_for("s2", 0, "b", 3), utcnow())
    assert (await store.load("s2"))[1] == 1


async def test_a_redelivered_command_returns_the_first_commit(store):
    first = await store.append(commit_for("s3", 0, "same"), utcnow())
    with pytest.raises(DuplicateCommandError) as dup:
        await store.append(commit_for("s3", 1, "same"), utcnow())
    assert dup.value.commit.version == first.version
    assert await store.count_events({"stream_id": "s3"}) == 1


async def test_outbox_lists_unpublished_until_marked(store):
    await store.append(commit_for("s4", 0, "x1"), utcnow())
    await store.append(commit_for("s4", 1, "x2"), utcnow())
    pending = await store.unpublished()
    assert [d["base_version"] for d in pending if d["stream_id"] == "s4"] == [0, 1]
    await store.mark_published([d["_id"] for d in pending])
    assert await store.unpublished() == []

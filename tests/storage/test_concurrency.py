"""Many concurrent writers: exactly one wins per version, counters count every hit, pages neither skip nor
repeat while inserts go on; databases made, listed and dropped at once all answer."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

from junction_common.envelope import CommandEnvelope, NewEvent, stamp, utcnow
from junction_common.mongo import create_client
from junction_common.projections.runner import APPLIED, DUPLICATE, Projection, ProjectionWriter
from junction_common.store.event_store import Commit, ConcurrencyError, DuplicateCommandError, EventStore
from junction_common.testing.infra import drop_databases

pytestmark = pytest.mark.integration

WRITERS = 16


async def test_version_guarded_replace_one_winner_per_version(db):
    await db.c.insert_one({"_id": "doc", "_version": 0, "by": None})
    for version in range(5):
        async def write(writer: int, version: int = version) -> int:
            new = {"_id": "doc", "_version": version + 1, "by": writer}
            return (await db.c.replace_one({"_id": "doc", "_version": version}, new)).matched_count

        matched = await asyncio.gather(*(write(w) for w in range(WRITERS)))
        assert sorted(matched) == [0] * (WRITERS - 1) + [1]
        doc = await db.c.find_one({"_id": "doc"})
        assert doc["_version"] == version + 1 and doc["by"] == matched.index(1)


async def test_version_guarded_upsert_one_winner(db):
    """The projection swap's write: replace if the live one is not newer, else insert."""
    async def write(writer: int) -> str:
        try:
            result = await db.c.replace_one({"_id": "p", "_version": {"$lte": 0}},
                                            {"_id": "p", "_version": 1, "by": writer}, upsert=True)
        except DuplicateKeyError:
            return "duplicate"
        return "upserted" if result.upserted_id is not None else ("replaced" if result.modified_count else "none")

    outcomes = await asyncio.gather(*(write(w) for w in range(WRITERS)))
    assert outcomes.count("upserted") == 1, outcomes
    assert set(outcomes) <= {"upserted", "duplicate", "none"}
    assert await db.c.count_documents({}) == 1


def _commit(stream: str, base: int, command_id: str) -> Commit:
    cmd = CommandEnvelope(command_id=command_id, type="thing.do", aggregate_id=stream, workspace_id="wrk_1")
    events = stamp(cmd, [NewEvent(type="thing.done", data={})], stream, base, utcnow())
    return Commit(stream, base, command_id, "wrk_1", events)


async def test_event_store_one_commit_per_base_version(db):
    store = EventStore(db)
    await store.ensure_indexes()
    for base in range(3):
        async def append(writer: int, base: int = base) -> str:
            try:
                await store.append(_commit("stm_1", base, f"cmd_{base}_{writer}"), utcnow())
            except ConcurrencyError:
                return "conflict"
            return "committed"

        outcomes = await asyncio.gather(*(append(w) for w in range(WRITERS)))
        assert outcomes.count("committed") == 1
    events, version = await store.load("stm_1")
    assert version == 3 and [e.version for e in events] == [1, 2, 3]


async def test_event_store_one_commit_per_command(db):
    store = EventStore(db)
    await store.ensure_indexes()

    async def append(base: int) -> str:
        try:
            await store.append(_commit("stm_2", base, "cmd_same"), utcnow())
        except DuplicateCommandError:
            return "duplicate"
        except ConcurrencyError:
            return "conflict"
        return "committed"

    outcomes = await asyncio.gather(*(append(b % 2) for b in range(WRITERS)))
    assert outcomes.count("committed") == 1
    assert await store.commits.count_documents({"command_id": "cmd_same"}) == 1


async def test_projection_writer_applies_each_event_once(db):
    projection = Projection("things", "test", (), "things", lambda doc, e: {**(doc or {}), "last": e.type})
    writers = [ProjectionWriter(projection, db) for _ in range(WRITERS)]
    cmd = CommandEnvelope(type="thing.do", aggregate_id="thg_1", workspace_id="wrk_1")
    events = stamp(cmd, [NewEvent(type=f"thing.step{i}", data={}) for i in range(4)], "thg_1", 0, utcnow())
    for event in events:
        results = await asyncio.gather(*(w.handle(event) for w in writers))
        assert results.count(APPLIED) == 1 and results.count(DUPLICATE) == WRITERS - 1
    assert await db.things.find_one({"_id": "thg_1"}) == {"_id": "thg_1", "_version": 4, "last": "thing.step3"}


async def test_set_on_insert_keeps_the_first_of_concurrent_upserts(db):
    """A command outcome is written once; a redelivery recording again changes nothing."""
    async def record(writer: int) -> None:
        await db.c.update_one({"_id": "cmd_1"}, {"$setOnInsert": {"by": writer}}, upsert=True)

    await asyncio.gather(*(record(w) for w in range(WRITERS)))
    assert await db.c.count_documents({}) == 1
    assert (await db.c.find_one({"_id": "cmd_1"}))["by"] in range(WRITERS)


async def test_concurrent_counter_upserts_count_every_hit(db):
    async def hit() -> int:
        doc = await db.c.find_one_and_update({"_id": "w:m:1"}, {"$inc": {"n": 1}}, upsert=True,
                                             return_document=ReturnDocument.AFTER)
        return int(doc["n"])

    seen = await asyncio.gather(*(hit() for _ in range(WRITERS * 2)))
    assert sorted(seen) == list(range(1, WRITERS * 2 + 1))


async def _page_through(read_page, insert_more) -> list[str]:
    """Read every page, inserting newer documents between pages."""
    seen: list[str] = []
    after = None
    while True:
        page = await read_page(after)
        seen += [d["_id"] for d in page[:5]]
        if len(page) <= 5:
            return seen
        after = page[4]
        await insert_more()


async def test_id_cursor_paging_under_concurrent_inserts(db):
    """Listings page newest first by ULID `_id`; a cursor holds the last id seen."""
    await db.c.insert_many([{"_id": f"con_{i:04}", "workspace_id": "w"} for i in range(100, 123)])
    counter = iter(range(200, 10_000))

    async def insert_more() -> None:
        await asyncio.gather(*(db.c.insert_one({"_id": f"con_{next(counter):04}", "workspace_id": "w"})
                               for _ in range(3)))

    async def read_page(after: dict | None) -> list[dict]:
        filt = {"workspace_id": "w", **({"_id": {"$lt": after["_id"]}} if after else {})}
        return await db.c.find(filt).sort("_id", -1).limit(6).to_list()

    seen = await _page_through(read_page, insert_more)
    assert seen == [f"con_{i:04}" for i in range(122, 99, -1)]


async def test_created_at_and_id_cursor_paging_under_concurrent_inserts(db):
    """Oldest first by (created_at, _id), three documents per timestamp, timestamps 337 ms apart (so pages
    cross seconds); documents inserted meanwhile are newer and come after the first 40."""
    base = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
    docs = [{"_id": f"d{i:03}", "created_at": base + timedelta(milliseconds=337 * (i // 3))} for i in range(40)]
    await db.c.insert_many(list(reversed(docs)))
    later = iter(range(100, 1000))

    async def insert_more() -> None:
        stamp_ = base + timedelta(seconds=5)
        await asyncio.gather(*(db.c.insert_one({"_id": f"n{next(later)}", "created_at": stamp_}) for _ in range(3)))

    async def read_page(after: dict | None) -> list[dict]:
        filt = {} if after is None else {"$or": [{"created_at": {"$gt": after["created_at"]}},
                                                 {"created_at": after["created_at"], "_id": {"$gt": after["_id"]}}]}
        return await db.c.find(filt).sort([("created_at", 1), ("_id", 1)]).limit(6).to_list()

    seen = await _page_through(read_page, insert_more)
    assert seen[:40] == [d["_id"] for d in docs]
    assert len(seen) == len(set(seen)) == await db.c.count_documents({})


async def test_databases_made_listed_and_dropped_at_once_all_answer(settings):
    """Test runs and services make, list and drop databases beside each other's work. nx-27017 0.8.1 served with
    its per-database locks failed here within seconds (sqlite3's "returned NULL without setting an exception",
    "disk I/O error") and could segfault; the managed server takes one lock for all (resources/nx-27017-serve.py)."""
    client = create_client(settings)
    errors: list[str] = []
    made = 0
    deadline = time.monotonic() + 4

    async def churn(worker: int) -> None:
        nonlocal made
        for n in range(10_000):
            if time.monotonic() > deadline:
                return
            db = client[settings.db_name(f"churn{worker}n{n}")]
            try:
                await db.c.create_index("k", unique=True)
                await db.c.insert_many([{"_id": i, "k": i} for i in range(20)])
                assert len(await db.c.find({"_id": {"$in": [1, 2, 3]}}).to_list()) == 3
                made += 1
                await client.drop_database(db.name)
            except PyMongoError as exc:
                errors.append(f"{db.name}: {exc}")

    async def lister() -> None:
        while time.monotonic() < deadline:
            try:
                await client.list_database_names()
            except PyMongoError as exc:
                errors.append(f"listDatabases: {exc}")

    try:
        await asyncio.gather(*(churn(w) for w in range(8)), lister(), lister())
    finally:
        await client.close()
        await drop_databases(settings)
    assert errors == []
    assert made >= 20  # the databases were really made, concurrently, while being listed

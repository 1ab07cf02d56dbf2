"""Every query on the write path costs the same with 50,000 documents stored as with 1,000.

Each case runs the real store code against two databases seeded alike except for size, and asserts the
cost ratio stays under MAX_RATIO (a scan is ~50x). Where the server reports a plan for a find (MongoDB's
explain; nx-27017's explain, which gives SQLite's plan), the plan must not scan the collection either.
The `_id`-keyed stores (outcomes, projections, idempotency, rate limits) share one seeded collection:
seeding 50,000 documents costs ~5 s per collection on nx-27017, and the query shapes are what is measured.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from gateway.idempotency import IdempotencyStore
from gateway.ratelimit import RateLimiter
from junction_common.envelope import CommandEnvelope, NewEvent, stamp, utcnow
from junction_common.mongo import create_client
from junction_common.projections.runner import APPLIED, Projection, ProjectionWriter
from junction_common.settings import JunctionSettings
from junction_common.store.event_store import Commit, ConcurrencyError, EventStore, commit_document
from junction_common.store.outcomes import OutcomeStore, outcome_document
from junction_common.testing.infra import drop_databases, isolated
from tests.storage.seeding import MAX_RATIO, Doc, cost_ratio, insert_in_batches, seed_commits
from tests.storage.server import MONGODB, NX, Server

pytestmark = pytest.mark.integration

SIZES = (1_000, 50_000)
WS = "wrk_1"
AT = datetime(2026, 1, 1, tzinfo=UTC)
KEYED = "keyed"
_fresh = itertools.count()


@dataclass
class World:
    size: int
    db: AsyncDatabase[Doc]
    store: EventStore
    keyed: AsyncCollection[Doc]
    projected_version: int = 1


def _keyed_docs(count: int) -> Iterator[Doc]:
    """The first 1,000 carry every field the stores read; the rest only what the index cases need (seeding
    time on nx-27017 grows with document size)."""
    for i in range(count):
        doc: Doc = {"_id": f"{WS}:key_{i:07}", "a": i % 100, "b": i // 100, "unindexed": f"u{i}"}
        if i < 1_000:
            doc.update(workspace_id=WS, _version=1, state="done", fingerprint="fp", ids={}, claimed_at=AT,
                       response={"status": 201, "body": "{}"}, created_at=AT, expires_at=AT + timedelta(days=1),
                       status="succeeded", resource_id=f"con_{i}", version=1)
        yield doc


def _commit(stream: str, base: int) -> Commit:
    command_id = f"cmd_hot_{next(_fresh)}"
    cmd = CommandEnvelope(command_id=command_id, type="thing.do", aggregate_id=stream, workspace_id=WS)
    return Commit(stream, base, command_id, WS, stamp(cmd, [NewEvent(type="thing.done", data={})], stream, base, AT))


async def _world(db: AsyncDatabase[Doc], size: int) -> World:
    store = await seed_commits(db, size)
    for base in range(3):
        await store.append(_commit("stm_target", base), AT)
    for i in range(10):
        await store.append(_commit(f"stm_pending_{i}", 0), AT)
    await insert_in_batches(db, KEYED, _keyed_docs(size))
    await db[KEYED].create_index([("a", 1), ("b", 1)])  # after the inserts: cheaper on nx-27017
    return World(size, db, store, db[KEYED])


@pytest_asyncio.fixture(scope="module")
async def worlds() -> AsyncIterator[tuple[World, World]]:
    settings = isolated(JunctionSettings)
    client = create_client(settings)
    try:
        yield (await _world(client[settings.db_name("hot_small")], SIZES[0]),
               await _world(client[settings.db_name("hot_large")], SIZES[1]))
    finally:
        await client.close()
        await drop_databases(settings)


async def _plan_scans(db: AsyncDatabase[Doc], collection: str, filt: Doc, server: Server) -> bool | None:
    """Whether the server's plan for find(filt) scans the collection; None where its plan is not read."""
    if server.kind not in (NX, MONGODB):
        return None
    reply = await db.command({"explain": {"find": collection, "filter": filt}, "verbosity": "queryPlanner"})
    plan = reply["queryPlanner"]["winningPlan"]
    if server.kind == NX:  # SQLite's EXPLAIN QUERY PLAN rows
        return any(str(row.get("detail", "")).split(" USING")[0] == f"SCAN {collection}" for row in plan)
    return "COLLSCAN" in str(plan)


async def assert_flat(worlds: tuple[World, World], server: Server, op: Callable[[World], Awaitable[object]],
                      find: tuple[str, Doc] | None = None) -> None:
    small, large = worlds
    if find is not None:
        assert await _plan_scans(large.db, *find, server) is not True, f"{server} plans a scan for {find}"
    ratio = await cost_ratio(lambda: op(small), lambda: op(large))
    assert ratio < MAX_RATIO, f"{ratio:.1f}x the cost with {large.size} documents as with {small.size}"


async def test_the_measure_sees_a_scan(worlds, server):
    """The control: a filter no index serves costs many times more at 50,000 documents."""
    small, large = worlds
    ratio = await cost_ratio(lambda: small.keyed.find_one({"unindexed": "none"}),
                             lambda: large.keyed.find_one({"unindexed": "none"}), runs=5)
    assert ratio > MAX_RATIO
    assert await _plan_scans(large.db, KEYED, {"unindexed": "none"}, server) in (True, None)


async def test_event_store_load_reads_one_stream(worlds, server):
    events, version = await worlds[1].store.load("stm_target")
    assert version == 3 and {e.stream_id for e in events} == {"stm_target"}
    await assert_flat(worlds, server, lambda w: w.store.load("stm_target"),
                      find=("event_commits", {"stream_id": "stm_target"}))


async def test_event_store_finds_a_command(worlds, server):
    assert await worlds[1].store.find_commit("cmd_stm_seed_0000500") is not None
    await assert_flat(worlds, server, lambda w: w.store.find_commit("cmd_stm_seed_0000500"),
                      find=("event_commits", {"command_id": "cmd_stm_seed_0000500"}))


async def test_event_store_appends(worlds, server):
    await assert_flat(worlds, server, lambda w: w.store.append(_commit(f"stm_new_{next(_fresh)}", 0), AT))


async def test_event_store_append_that_conflicts(worlds, server):
    """A create whose stream exists: the insert meets `stm@0`, then the command id is looked up."""
    async def conflict(w: World) -> None:
        with pytest.raises(ConcurrencyError):
            await w.store.append(_commit("stm_target", 0), AT)

    await assert_flat(worlds, server, conflict)


async def test_relay_lists_unpublished_and_marks_published(worlds, server):
    assert {f"stm_pending_{i}" for i in range(10)} <= {d["stream_id"] for d in await worlds[1].store.unpublished()}
    await assert_flat(worlds, server, lambda w: w.store.unpublished(),
                      find=("event_commits", {"published": False}))
    ids = [f"stm_seed_{i:07}@0" for i in range(0, 400, 25)]
    await assert_flat(worlds, server, lambda w: w.store.mark_published(ids),
                      find=("event_commits", {"_id": {"$in": ids}}))


async def test_command_outcomes_recorded_and_read(worlds, server):
    def outcomes(w: World) -> OutcomeStore:
        store = OutcomeStore(w.db)
        store.outcomes = w.keyed
        return store

    await assert_flat(worlds, server, lambda w: outcomes(w).record(f"cmd_{next(_fresh)}", WS, "succeeded", AT))
    key = f"{WS}:key_0000300"
    assert await outcomes(worlds[1]).get(key, WS) is not None
    await assert_flat(worlds, server, lambda w: outcomes(w).get(key, WS),
                      find=(KEYED, {"_id": key, "workspace_id": WS}))


async def test_projection_writer_versioned_replace(worlds, server):
    projection = Projection("things", "test", (), KEYED, lambda doc, e: {**(doc or {}), "last": e.type})
    stream = f"{WS}:key_0000007"

    async def apply_next(w: World) -> None:
        cmd = CommandEnvelope(type="thing.do", aggregate_id=stream, workspace_id=WS)
        event = stamp(cmd, [NewEvent(type="thing.done", data={})], stream, w.projected_version, utcnow())[0]
        assert await ProjectionWriter(projection, w.db).handle(event) == APPLIED
        w.projected_version += 1

    await assert_flat(worlds, server, apply_next, find=(KEYED, {"_id": stream, "_version": 1}))


async def test_gateway_idempotency_claims(worlds, server):
    def records(w: World) -> IdempotencyStore:
        store = IdempotencyStore(w.db, ttl_s=86_400, stale_s=60)
        store.records = w.keyed
        return store

    now = AT + timedelta(hours=1)
    await assert_flat(worlds, server, lambda w: records(w).begin(WS, f"new_{next(_fresh)}", "fp", {}, now))
    await assert_flat(worlds, server, lambda w: records(w).begin(WS, "key_0000400", "fp", {}, now))
    await assert_flat(worlds, server, lambda w: records(w).finish(WS, "key_0000401", 201, b"{}"))


async def test_gateway_rate_limit_counters(worlds, server):
    def limiter(w: World) -> RateLimiter:
        made = RateLimiter(w.db)
        made.counters = w.keyed
        return made

    await assert_flat(worlds, server, lambda w: limiter(w).check(WS, "business", now=AT.timestamp()))


async def test_in_on_an_indexed_field_other_than_id(worlds, server):
    ids = [f"cmd_stm_seed_{i:07}" for i in range(0, 800, 50)]
    with server.unless_quirk("in_on_indexed_field"):
        await assert_flat(worlds, server, lambda w: w.store.commits.find({"command_id": {"$in": ids}}).to_list(),
                          find=("event_commits", {"command_id": {"$in": ids}}))


async def test_compound_index(worlds, server):
    with server.unless_quirk("compound_index"):
        await assert_flat(worlds, server, lambda w: w.keyed.find_one({"a": 7, "b": 3}),
                          find=(KEYED, {"a": 7, "b": 3}))


async def test_command_batch_outcome_lookup_and_commit_insert(worlds, server):
    """A command batch: one `_id $in` read of recorded outcomes, one unordered insert of commits and one of
    outcomes (a refused commit is reported by position, not looked up)."""
    def outcomes(w: World) -> OutcomeStore:
        store = OutcomeStore(w.db)
        store.outcomes = w.keyed
        return store

    ids = [f"{WS}:key_{i:07}" for i in range(0, 800, 50)]
    assert len(await outcomes(worlds[1]).get_many(ids)) == len(ids)
    await assert_flat(worlds, server, lambda w: outcomes(w).get_many(ids), find=(KEYED, {"_id": {"$in": ids}}))

    async def insert_batch(w: World) -> None:
        docs = [commit_document(_commit(f"stm_batch_{next(_fresh)}", 0), AT) for _ in range(16)]
        docs.append(commit_document(_commit("stm_target", 0), AT))  # taken: refused by position
        assert await w.store.append_many(docs) == {16}
        await outcomes(w).record_many([outcome_document(d["command_id"], WS, "succeeded", AT) for d in docs[:16]])

    await assert_flat(worlds, server, insert_batch)


async def test_projection_batch_read_and_bulk_write(worlds, server):
    projection = Projection("things", "test", (), KEYED, lambda doc, e: {**(doc or {}), "last": e.type})
    streams = [f"{WS}:key_{i:07}" for i in range(600, 616)]  # seeded at version 1
    versions = {world.size: 1 for world in worlds}

    async def apply_batch(w: World) -> None:
        items = []
        for n, stream in enumerate(streams):
            cmd = CommandEnvelope(type="thing.do", aggregate_id=stream, workspace_id=WS)
            items.append((n, stamp(cmd, [NewEvent(type="thing.done", data={})], stream, versions[w.size],
                                   utcnow())[0]))
        written, failed = await ProjectionWriter(projection, w.db).handle_batch(items)
        assert len(written) == len(streams) and not failed
        versions[w.size] += 1

    await assert_flat(worlds, server, apply_batch, find=(KEYED, {"_id": {"$in": streams}}))

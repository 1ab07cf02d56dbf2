"""Stored data in bulk, in the stores' own formats, and a cost measure that does not depend on the machine.

A query served by an index costs about the same at 1,000 and at 50,000 documents; a scan costs about 50
times more. `cost_ratio` compares medians of interleaved runs, so a busy machine slows both sizes alike.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from junction_common.envelope import CommandEnvelope, NewEvent, stamp
from junction_common.store.event_store import Commit, EventStore, commit_document

Doc = dict[str, Any]
BATCH = 10_000
# An index is ~1x, a scan ~50x: anything under this is taken for "does not grow with the data".
MAX_RATIO = 5.0


def commit_docs(count: int, *, commits_per_stream: int = 2, prefix: str = "stm_seed", workspace: str = "wrk_seed",
                event_type: str = "thing.created", published: bool = True) -> Iterator[Doc]:
    """`count` event commits of one event each, `commits_per_stream` per stream, as EventStore writes them."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    cmd = CommandEnvelope(command_id="cmd_template", type="thing.create", aggregate_id="template",
                          workspace_id=workspace)
    events = stamp(cmd, [NewEvent(type=event_type, data={"name": "Seeded"})], "template", 0, at)
    template = commit_document(Commit("template", 0, "cmd_template", workspace, events), at)
    event = template["events"][0]
    for i in range(count):
        stream, base = f"{prefix}_{i // commits_per_stream:07}", i % commits_per_stream
        command_id = f"cmd_{prefix}_{i:07}"
        yield {**template, "_id": f"{stream}@{base}", "stream_id": stream, "base_version": base,
               "version": base + 1, "command_id": command_id, "published": published,
               "events": [{**event, "event_id": f"evt_{prefix}_{i:07}", "stream_id": stream, "version": base + 1,
                           "command_id": command_id, "type": event_type if base == 0 else "thing.updated"}]}


async def insert_in_batches(db: AsyncDatabase[Doc], collection: str, docs: Iterator[Doc]) -> int:
    """Insert unordered, BATCH documents per call; returns how many."""
    total, batch = 0, []
    for doc in docs:
        batch.append(doc)
        if len(batch) == BATCH:
            total += len((await db[collection].insert_many(batch, ordered=False)).inserted_ids)
            batch = []
    if batch:
        total += len((await db[collection].insert_many(batch, ordered=False)).inserted_ids)
    return total


async def seed_commits(db: AsyncDatabase[Doc], count: int, **kwargs: Any) -> EventStore:
    """An event store with its indexes and `count` commits already stored."""
    store = EventStore(db)
    await store.ensure_indexes()
    await insert_in_batches(db, store.commits.name, commit_docs(count, **kwargs))
    return store


async def _timed(op: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await op()
    return time.perf_counter() - started


async def cost_ratio(small: Callable[[], Awaitable[object]], large: Callable[[], Awaitable[object]],
                     runs: int = 7) -> float:
    """Median cost of `large` over median cost of `small`, runs interleaved after one warm-up each."""
    await small()
    await large()
    small_s, large_s = [], []
    for _ in range(runs):
        small_s.append(await _timed(small))
        large_s.append(await _timed(large))
    return statistics.median(large_s) / statistics.median(small_s)

"""Rebuild a projection from the start of its topics into a new collection, then swap it in.

The swap merges the rebuilt collection into the live one document by document (see
`swap_collections`): it needs no rename, so it behaves the same on MongoDB, FerretDB and nx-27017.

Events that arrive during the rebuild are applied by a catch-up pass after the swap; versioned apply
makes any overlap with the live consumer a no-op.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from aiokafka import ConsumerRecord
from pymongo import ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from junction_common.bus.ranges import read_range
from junction_common.envelope import EventEnvelope
from junction_common.mongo import Doc, create_client
from junction_common.projections.runner import Projection, ProjectionWriter
from junction_common.settings import JunctionSettings

_BATCH = 500
_DUPLICATE_KEY = 11000
STAGING_MARK = "__rebuild_"


@dataclass(frozen=True)
class SwapReport:
    replaced: int
    deleted: int


@dataclass(frozen=True)
class RebuildReport:
    projection: str
    collection: str
    events_read: int
    documents: int


def registered_projections() -> dict[str, Projection]:
    """Projections services declare through the `junction.projections` entry points."""
    found: dict[str, Projection] = {}
    for ep in entry_points(group="junction.projections"):
        loaded = ep.load()
        for projection in loaded if isinstance(loaded, list | tuple) else [loaded]:
            found[f"{projection.service}.{projection.name}"] = projection
    return found


async def live_ids(db: AsyncDatabase[Doc], collection: str) -> set[Any]:
    """The ids a collection holds now (taken before a rebuild reads its topics)."""
    return {doc["_id"] async for doc in db[collection].find({}, {"_id": 1})}


async def swap_collections(db: AsyncDatabase[Doc], staging: str, target: str, before: set[Any]) -> SwapReport:
    """Make the rebuilt `staging` the content of the live `target`, on every server, without a rename.

    Each rebuilt document replaces its live one unless the live one is at a newer version (the live
    consumer kept folding meanwhile); then ids that were live before the rebuild (`before`) and that no
    event recreated are deleted, and `staging` is dropped. No step removes a document that is not
    replaced by its rebuilt version first, so a crash at any point leaves every live document at either
    its old or its rebuilt version (never missing), and running the rebuild again completes it.
    MongoDB's `renameCollection(dropTarget=True)` is not used: FerretDB refuses it and nx-27017's
    rename loses documents.
    """
    replaced = 0
    rebuilt: set[Any] = set()
    batch: list[Doc] = []
    async for doc in db[staging].find():
        rebuilt.add(doc["_id"])
        batch.append(doc)
        if len(batch) >= _BATCH:
            replaced += await _replace_older(db[target], batch)
            batch = []
    if batch:
        replaced += await _replace_older(db[target], batch)
    stale = sorted(before - rebuilt, key=str)
    deleted = 0
    for i in range(0, len(stale), _BATCH):
        deleted += (await db[target].delete_many({"_id": {"$in": stale[i : i + _BATCH]}})).deleted_count
    await db.drop_collection(staging)
    return SwapReport(replaced=replaced, deleted=deleted)


async def _replace_older(target: AsyncCollection[Doc], docs: list[Doc]) -> int:
    """Upsert each document over a live one at the same or an older version; a newer live one stays."""
    ops = [ReplaceOne({"_id": d["_id"], "_version": {"$lte": d.get("_version", 0)}}, d, upsert=True) for d in docs]
    try:
        result = await target.bulk_write(ops, ordered=False)
    except BulkWriteError as exc:
        # A duplicate key is the upsert meeting a newer live document: keep that one.
        fatal = [e for e in exc.details.get("writeErrors", []) if e.get("code") != _DUPLICATE_KEY]
        if fatal:
            raise
        details = exc.details
        return int(details.get("nModified", 0)) + int(details.get("nUpserted", 0))
    return result.modified_count + result.upserted_count


async def drop_leftovers(db: AsyncDatabase[Doc], collection: str) -> list[str]:
    """Drop staging collections an interrupted rebuild of `collection` left behind."""
    prefix = f"{collection}{STAGING_MARK}"
    names = [n for n in await db.list_collection_names() if n.startswith(prefix)]
    for name in names:
        await db.drop_collection(name)
    return names


async def rebuild(settings: JunctionSettings, projection: Projection) -> RebuildReport:
    """Fold every event of the projection's topics into a fresh collection and make it live."""
    client = create_client(settings)
    try:
        db = client[settings.db_name(projection.service)]
        await drop_leftovers(db, projection.collection)
        staging = f"{projection.collection}{STAGING_MARK}{int(time.time() * 1000)}"
        before = await live_ids(db, projection.collection)
        writer = ProjectionWriter(projection, db, staging)
        await writer.ensure_indexes()
        count = 0

        async def apply_to(target: ProjectionWriter, record: ConsumerRecord[bytes, bytes]) -> None:
            nonlocal count
            count += 1
            await target.handle(EventEnvelope.from_bytes(record.value or b"{}"))

        topics = [settings.topic(t) for t in projection.topics]
        end = await read_range(settings.kafka_bootstrap, topics, lambda r: apply_to(writer, r))
        await swap_collections(db, staging, projection.collection, before)
        live = ProjectionWriter(projection, db)
        await live.ensure_indexes()
        await read_range(settings.kafka_bootstrap, topics, lambda r: apply_to(live, r), start=end)
        docs = await db[projection.collection].count_documents({})
        return RebuildReport(projection.name, projection.collection, count, docs)
    finally:
        await client.close()

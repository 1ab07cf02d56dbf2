"""Rebuild a projection from the start of its topics into a new collection, then swap it in.

Events that arrive during the rebuild are applied by a catch-up pass after the swap; versioned apply
makes any overlap with the live consumer a no-op.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib.metadata import entry_points

from aiokafka import ConsumerRecord
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, OperationFailure

from junction_common.bus.ranges import read_range
from junction_common.envelope import EventEnvelope
from junction_common.mongo import Doc, create_client
from junction_common.projections.runner import Projection, ProjectionWriter
from junction_common.settings import JunctionSettings


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


async def _rename_works(db: AsyncDatabase[Doc]) -> bool:
    """Probe: does this server's renameCollection keep documents? (nx-27017's does not.)"""
    probe = f"_junction_rename_probe_{int(time.time() * 1000)}"
    await db[probe].insert_one({"_id": 1})
    try:
        await db[probe].rename(probe + "_to")
        return await db[probe + "_to"].count_documents({}) == 1
    except OperationFailure:
        return False
    finally:
        await db.drop_collection(probe)
        await db.drop_collection(probe + "_to")


async def _swap(db: AsyncDatabase[Doc], source: str, target: str) -> None:
    """Make `source` the live `target`: an atomic rename where the server has one, else a copy."""
    if await _rename_works(db):
        await db[source].rename(target, dropTarget=True)
        return
    await db[target].delete_many({})
    batch: list[Doc] = []
    async for doc in db[source].find():
        batch.append(doc)
        if len(batch) >= 500:
            await _insert_new(db, target, batch)
            batch = []
    if batch:
        await _insert_new(db, target, batch)
    await db.drop_collection(source)


async def _insert_new(db: AsyncDatabase[Doc], target: str, docs: list[Doc]) -> None:
    # A document the live consumer wrote meanwhile is at least as new: keep it.
    try:
        await db[target].insert_many(docs, ordered=False)
    except BulkWriteError:
        pass


async def rebuild(settings: JunctionSettings, projection: Projection) -> RebuildReport:
    """Fold every event of the projection's topics into a fresh collection and make it live."""
    client = create_client(settings)
    try:
        db = client[settings.db_name(projection.service)]
        staging = f"{projection.collection}__rebuild_{int(time.time() * 1000)}"
        writer = ProjectionWriter(projection, db, staging)
        await writer.ensure_indexes()
        count = 0

        async def apply_to(target: ProjectionWriter, record: ConsumerRecord[bytes, bytes]) -> None:
            nonlocal count
            count += 1
            await target.handle(EventEnvelope.from_bytes(record.value or b"{}"))

        topics = [settings.topic(t) for t in projection.topics]
        end = await read_range(settings.kafka_bootstrap, topics, lambda r: apply_to(writer, r))
        await _swap(db, staging, projection.collection)
        live = ProjectionWriter(projection, db)
        await live.ensure_indexes()
        await read_range(settings.kafka_bootstrap, topics, lambda r: apply_to(live, r), start=end)
        docs = await db[projection.collection].count_documents({})
        return RebuildReport(projection.name, projection.collection, count, docs)
    finally:
        await client.close()

"""Projection writer: applies an event only when it is the next version of its document.

Redelivery and replay are therefore no-ops; a gap (an event ahead of the document) is an error, so the
message is retried until the missing event has been applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from junction_common.envelope import EventEnvelope
from junction_common.upcasting import UpcasterRegistry

Doc = dict[str, Any]
ApplyFn = Callable[[Doc | None, EventEnvelope], Doc]

APPLIED = "applied"
DUPLICATE = "duplicate"


class ProjectionGapError(Exception):
    """An event arrived before the event preceding it in its stream was applied."""


@dataclass(frozen=True)
class Projection:
    """A read model: its name, the topics it folds, its pure apply, and its collection name."""

    name: str
    service: str
    topics: tuple[str, ...]
    collection: str
    apply: ApplyFn
    indexes: tuple[tuple[tuple[str, int], ...], ...] = ()
    upcasters: UpcasterRegistry = field(default_factory=UpcasterRegistry)

    @property
    def group_id(self) -> str:
        return f"{self.service}.projections"


class ProjectionWriter:
    """Writes one projection's documents into a collection (the live one, or a rebuild target)."""

    def __init__(self, projection: Projection, db: AsyncDatabase[Doc], collection: str | None = None) -> None:
        self.projection = projection
        self.docs: AsyncCollection[Doc] = db[collection or projection.collection]
        self.positions: AsyncCollection[Doc] = db["projection_positions"]

    async def ensure_indexes(self) -> None:
        for keys in self.projection.indexes:
            await self.docs.create_index(list(keys))

    async def handle(self, event: EventEnvelope) -> str:
        """Apply `event` if it is the next version of its document."""
        event = self.projection.upcasters.upcast(event)
        current = await self.docs.find_one({"_id": event.stream_id})
        have = current["_version"] if current else 0
        if event.version <= have:
            return DUPLICATE
        if event.version != have + 1:
            raise ProjectionGapError(f"{event.stream_id}: have v{have}, got v{event.version}")
        new = {**self.projection.apply(current, event), "_id": event.stream_id, "_version": event.version}
        if current is None:
            try:
                await self.docs.insert_one(new)
            except DuplicateKeyError:
                return DUPLICATE  # a concurrent writer applied it first
        else:
            result = await self.docs.replace_one({"_id": event.stream_id, "_version": have}, new)
            if result.matched_count == 0:
                return DUPLICATE
        return APPLIED

    async def record_position(self, topic: str, partition: int, offset: int) -> None:
        key = f"{self.projection.name}:{topic}:{partition}"
        await self.positions.update_one(
            {"_id": key}, {"$max": {"offset": offset}, "$set": {"projection": self.projection.name}}, upsert=True
        )

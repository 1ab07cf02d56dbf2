"""Projection writer: applies an event only when it is the next version of its document.

Redelivery and replay are therefore no-ops; a gap (an event ahead of the document) is an error, so the
message is retried until the missing event has been applied.

`handle_batch` does the same for a consumer batch with one `_id $in` read of the documents (none when every
stream starts at its first event) and one unordered `bulk_write`: each document is folded over its events in
memory and written once, inserted when new, else replaced only if still at the version it was read at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pymongo import InsertOne, ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from junction_common.envelope import EventEnvelope
from junction_common.upcasting import UpcasterRegistry

Doc = dict[str, Any]
ApplyFn = Callable[[Doc | None, EventEnvelope], Doc]

APPLIED = "applied"
DUPLICATE = "duplicate"
DUPLICATE_KEY = 11000


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
    # The service writes these documents itself as it commits (the consumer then only catches up): a batch's
    # events that the documents already hold are skipped unparsed, by their key (the stream) and peeked version.
    written_ahead: bool = False

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

    async def applied(self, messages: list[tuple[int, bytes | None, bytes]]) -> set[int]:
        """The positions of the messages (position, key, value) whose events the documents already hold, for a
        projection written ahead (none otherwise): one `_version` read of their streams, no event parsed."""
        if not self.projection.written_ahead:
            return set()
        peeked = {p: (key.decode(errors="replace"), peek_version(value)) for p, key, value in messages if key}
        ids = list({stream for stream, version in peeked.values() if version is not None})
        if not ids:
            return set()
        have = {d["_id"]: d["_version"] async for d in self.docs.find({"_id": {"$in": ids}}, {"_version": 1})}
        return {p for p, (stream, version) in peeked.items() if version is not None and version <= have.get(stream, 0)}

    async def handle_batch(self, items: list[tuple[int, EventEnvelope]]) -> tuple[list[Doc], dict[int, Exception]]:
        """Apply a batch's events (tagged with their positions), each stream's in order; the documents written
        and the positions that failed (a gap: retried until the missing event is applied)."""
        streams: dict[str, list[tuple[int, EventEnvelope]]] = {}
        for position, event in items:
            upcast = self.projection.upcasters.upcast(event)
            streams.setdefault(upcast.stream_id, []).append((position, upcast))
        reread = [sid for sid, evs in streams.items() if evs[0][1].version != 1]
        current = {d["_id"]: d async for d in self.docs.find({"_id": {"$in": reread}})} if reread else {}
        failures: dict[int, Exception] = {}
        writes: list[tuple[Doc, InsertOne[Doc] | ReplaceOne[Doc]]] = []
        for stream_id, events in streams.items():
            base = current.get(stream_id)
            doc = self._fold(base, events, failures)
            if doc is not None:
                op: InsertOne[Doc] | ReplaceOne[Doc] = InsertOne(doc) if base is None else \
                    ReplaceOne({"_id": stream_id, "_version": base["_version"]}, doc)
                writes.append((doc, op))
        written = await self._write(writes)
        if written is None:  # another writer got to a document first: apply event by event, as it stands now
            await self._one_by_one(streams, failures)
            return [], failures
        return written, failures

    async def _one_by_one(self, streams: dict[str, list[tuple[int, EventEnvelope]]],
                          failures: dict[int, Exception]) -> None:
        for events in streams.values():
            for position, event in events:
                if position in failures:
                    continue
                try:
                    await self.handle(event)
                except Exception as exc:
                    failures[position] = exc

    def _fold(self, doc: Doc | None, events: list[tuple[int, EventEnvelope]], failures: dict[int, Exception]
              ) -> Doc | None:
        """`doc` folded over the events that follow it; None when none does (all already applied)."""
        have, changed = (doc["_version"] if doc else 0), False
        for position, event in events:
            if event.version <= have:
                continue
            if event.version != have + 1:
                failures[position] = ProjectionGapError(f"{event.stream_id}: have v{have}, got v{event.version}")
                continue
            doc = {**self.projection.apply(doc, event), "_id": event.stream_id, "_version": event.version}
            have, changed = event.version, True
        return doc if changed else None

    async def _write(self, writes: list[tuple[Doc, InsertOne[Doc] | ReplaceOne[Doc]]]) -> list[Doc] | None:
        """One unordered bulk write: the documents written, or None when any was not (its `_id` or version was
        taken by another writer, whose document may be older than the batch's last event)."""
        if not writes:
            return []
        try:
            result = await self.docs.bulk_write([op for _, op in writes], ordered=False)
        except BulkWriteError as exc:
            if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                raise
            return None
        if result.inserted_count + result.matched_count < len(writes):
            return None
        return [doc for doc, _ in writes]

    async def record_position(self, topic: str, partition: int, offset: int) -> None:
        key = f"{self.projection.name}:{topic}:{partition}"
        await self.positions.update_one(
            {"_id": key}, {"$max": {"offset": offset}, "$set": {"projection": self.projection.name}}, upsert=True
        )


def peek_version(value: bytes) -> int | None:
    """An event's `version` read from its JSON without parsing it: the first `"version":` key with no object
    opened before it but the envelope's (a key, since a quote inside a string is escaped); None when unsure."""
    at = value.find(b'"version":')
    if at < 0 or value.count(b"{", 0, at) != 1:
        return None
    digits = value[at + 10:at + 30].split(b",", 1)[0].split(b"}", 1)[0]
    return int(digits) if digits.isdigit() else None

"""Event store on MongoDB: one document per atomic commit, optimistic concurrency, command idempotency.

Invariants:
- `_id` is `<stream_id>@<base_version>`: two writers deciding from the same version cannot both commit, and a
  stream that exists holds `<stream_id>@0`, so a create appended at version 0 without loading fails if it does.
- `command_id` is unique: a redelivered command finds the first commit instead of writing a second.
- A commit is also its own outbox entry (`published: false` until the relay has sent it).
- `events` holds the commit's events in their stored form: a list, or (the writer's choice, `packed_events`) that
  list as one JSON text, since the MongoDB server's cost per document written, read or marked grows with the values
  it holds (nx-27017 copies and walks every one) and nothing queries inside a commit's events; `commit_events`
  reads both.

Every query is served by `_id` or a single-field index (nx-27017 scans for a compound index or for `$in` on
another field): its cost does not grow with the number of commits stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_core import from_json, to_json
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from junction_common.envelope import EventEnvelope
from junction_common.upcasting import UpcasterRegistry

Doc = dict[str, Any]


DUPLICATE_KEY = 11000


class ConcurrencyError(Exception):
    """Another commit reached the stream first; reload and decide again."""


class DuplicateCommandError(Exception):
    """The command was already committed; `commit` is the first outcome."""

    def __init__(self, commit: Commit) -> None:
        super().__init__(commit.command_id)
        self.commit = commit


@dataclass(frozen=True)
class Commit:
    stream_id: str
    base_version: int
    command_id: str
    workspace_id: str
    events: list[EventEnvelope]
    traceparent: str | None = None

    @property
    def version(self) -> int:
        return self.base_version + len(self.events)

    @classmethod
    def from_doc(cls, doc: Doc) -> Commit:
        return cls(
            stream_id=doc["stream_id"],
            base_version=doc["base_version"],
            command_id=doc["command_id"],
            workspace_id=doc["workspace_id"],
            events=[EventEnvelope.model_validate(e) for e in commit_events(doc)],
            traceparent=doc.get("traceparent"),
        )


def commit_events(doc: Doc) -> list[Doc]:
    """A stored commit's events in their stored form, whether kept as a list or packed as one JSON text."""
    events: list[Doc] = from_json(doc["events"]) if isinstance(doc["events"], str) else doc["events"]
    return events


def packed_events(doc: Doc) -> Doc:
    """A commit document whose events are kept as one JSON text (the bytes `to_json` gives the list)."""
    return {**doc, "events": to_json(doc["events"]).decode()}


def commit_document(commit: Commit, committed_at: datetime) -> Doc:
    """The stored form of a commit (one document, written atomically)."""
    return stored_commit(commit.stream_id, commit.base_version, commit.command_id, commit.workspace_id,
                         [e.model_dump(mode="json") for e in commit.events], committed_at, commit.traceparent)


def stored_commit(stream_id: str, base_version: int, command_id: str, workspace_id: str, events: list[Doc],
                  committed_at: datetime | None, traceparent: str | None = None) -> Doc:
    """The stored form of a commit whose events are already in their stored form (`model_dump(mode="json")`),
    for writers that build many events without an envelope object each."""
    return {
        "_id": f"{stream_id}@{base_version}",
        "stream_id": stream_id,
        "base_version": base_version,
        "version": base_version + len(events),
        "command_id": command_id,
        "workspace_id": workspace_id,
        "committed_at": committed_at,
        "published": False,
        "traceparent": traceparent,
        "events": events,
    }


class EventStore:
    """Append-only streams of events in the `event_commits` collection of a service's database."""

    def __init__(self, db: AsyncDatabase[Doc], upcasters: UpcasterRegistry | None = None) -> None:
        self.commits: AsyncCollection[Doc] = db["event_commits"]
        self._upcasters = upcasters or UpcasterRegistry()

    async def ensure_indexes(self) -> None:
        await self.commits.create_index([("command_id", ASCENDING)], unique=True)
        await self.commits.create_index([("stream_id", ASCENDING)])
        await self.commits.create_index([("published", ASCENDING)])

    async def load(self, stream_id: str) -> tuple[list[EventEnvelope], int]:
        """All events of a stream, upcast to current schema versions, and the stream's version.

        Found through the `stream_id` index; the few commits of one stream are sorted after that."""
        events: list[EventEnvelope] = []
        cursor = self.commits.find({"stream_id": stream_id}).sort("base_version", ASCENDING)
        async for doc in cursor:
            events.extend(self._upcasters.upcast(e) for e in Commit.from_doc(doc).events)
        return events, (events[-1].version if events else 0)

    async def find_commit(self, command_id: str) -> Commit | None:
        doc = await self.commits.find_one({"command_id": command_id})
        return Commit.from_doc(doc) if doc else None

    async def append(self, commit: Commit, committed_at: datetime) -> Commit:
        """Write the commit atomically, or raise ConcurrencyError / DuplicateCommandError."""
        try:
            await self.commits.insert_one(commit_document(commit, committed_at))
        except DuplicateKeyError as exc:
            first = await self.find_commit(commit.command_id)
            if first is not None:
                raise DuplicateCommandError(first) from exc
            raise ConcurrencyError(commit.stream_id) from exc
        return commit

    async def append_many(self, docs: list[Doc]) -> set[int]:
        """Insert commit documents with one unordered `insert_many`; the indexes of those refused as duplicates
        (a taken `stream@version` or a command already committed: the caller tells which with `find_commit`)."""
        if not docs:
            return set()
        try:
            await self.commits.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            return {int(e["index"]) for e in errors}
        return set()

    async def unpublished(self, limit: int = 500) -> list[Doc]:
        """Commits the relay has not sent yet, each stream's in version order."""
        cursor = self.commits.find({"published": False}).sort(
            [("stream_id", ASCENDING), ("base_version", ASCENDING)]
        )
        return await cursor.limit(limit).to_list()

    async def mark_published(self, ids: list[str]) -> None:
        if ids:
            await self.commits.update_many({"_id": {"$in": ids}}, {"$set": {"published": True}})

    async def count_events(self, query: Doc | None = None) -> int:
        total = 0
        async for doc in self.commits.find(query or {}, {"version": 1, "base_version": 1}):
            total += doc["version"] - doc["base_version"]
        return total

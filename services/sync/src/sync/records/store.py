"""Records in `sync_records` and their events on `sync.record.events`.

A record is the latest raw item of one key of one resource (a sync's stream, a webhook's resource type, an
import), kept as ingested so a table can be re-projected into a new schema without fetching again. Records are
written in bulk (one `_id $in` read, one unordered `bulk_write`); their events go through the service's event
store in record-batch streams (`rcb_...`, up to EVENTS_PER_COMMIT events per commit document), so thousands of
items cost a few inserts, and the outbox relay publishes them like any other event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from junction_common.envelope import Actor, utcnow
from junction_common.ids import new_ulid
from junction_common.service import ServiceRuntime
from junction_common.store.event_store import stored_commit
from sync.tables.rows import WHOLE_BATCH, bulk_put
from sync_contracts import records as rx

Doc = dict[str, Any]
EVENTS_PER_COMMIT = 500
SEARCH_CHARS = 4000  # how much of an item's text the search sees


def record_id(workspace_id: str, scope: str, key: str) -> str:
    """One record per key of a scope (a table, or a resource type of a provider) in a workspace."""
    return "rec_" + hashlib.sha256(f"{workspace_id}:{scope}:{key}".encode()).hexdigest()[:32]


def record_doc(workspace_id: str, rid: str, data: Doc, at: str, **facts: Any) -> Doc:
    """The stored record: raw `data`, where it came from (resource_type, provider, source, connection_id, run_id,
    stream, table_id, table, key), and its searchable text."""
    text = json.dumps(data, separators=(",", ":"), default=str).lower()[:SEARCH_CHARS]
    return {"_id": rid, "workspace_id": workspace_id, "data": data, "received_at": at, "text": text, **facts}


def event_streams(count: int) -> list[str]:
    """The record-batch streams (`rcb_...`) the events of `count` records will be appended in, chosen before the
    records are written so each record names its event's stream (`event_stream`): a resumed run tells from the
    event store whether that event was appended."""
    return ["rcb_" + new_ulid() for _ in range(0, count, EVENTS_PER_COMMIT)]


def record_view(doc: Doc) -> Doc:
    """A record as the API returns it (and as events carry it): rx.RecordView's fields, built without a model per
    record on the bulk path (emit checks one of each batch against the model)."""
    return {"id": doc["_id"], "resource_type": doc.get("resource_type") or "", "provider": doc.get("provider"),
            "source": doc.get("source") or "import", "connection_id": doc.get("connection_id"),
            "run_id": doc.get("run_id"), "stream": doc.get("stream"), "table": doc.get("table"), "key": doc.get("key"),
            "data": doc.get("data") or {}, "received_at": str(doc.get("received_at"))}


class RecordStore:
    """The workspace's records and their events."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.db: AsyncDatabase[Doc] = runtime.db
        self.records = runtime.db[rx.RECORDS]

    async def ensure_indexes(self) -> None:
        await self.records.create_index([("workspace_id", 1)])
        await self.records.create_index([("table_id", 1)])
        await self.records.create_index([("run_id", 1)])

    async def appended(self, stream_ids: Collection[str]) -> set[str]:
        """Those of these record-batch streams whose events are in the event store."""
        commits = self.runtime.store.commits.find({"stream_id": {"$in": list(stream_ids)}}, {"stream_id": 1})
        return {str(c["stream_id"]) async for c in commits}

    async def put(self, docs: list[Doc], existing: Collection[str] | None = None) -> None:
        """Store these records (a later item of the same id replaces the earlier); `existing`: the ids known to
        be stored already (the others are inserted), None when not known."""
        await bulk_put(self.records, list({d["_id"]: d for d in docs}.values()), existing)

    async def get(self, workspace_id: str, rid: str) -> Doc | None:
        doc = await self.records.find_one({"_id": rid})
        return dict(doc) if doc is not None and doc.get("workspace_id") == workspace_id else None

    async def of_table(self, table_id: str) -> list[Doc]:
        return [dict(d) async for d in self.records.find({"table_id": table_id}, batch_size=WHOLE_BATCH)]

    async def delete(self, rid: str) -> None:
        await self.records.delete_one({"_id": rid})

    async def find(self, workspace_id: str, where: Doc, offset: int, limit: int) -> tuple[list[Doc], int]:
        query = {"workspace_id": workspace_id, **where}
        total = await self.records.count_documents(query)
        cursor = self.records.find(query).sort([("received_at", -1), ("_id", 1)]).skip(offset).limit(limit)
        return [dict(d) async for d in cursor], total

    async def summary(self, workspace_id: str) -> list[Doc]:
        """Count per resource type, provider and source, with the latest item's time."""
        groups: dict[tuple[str, str | None, str], Doc] = {}
        fields = {"resource_type": 1, "provider": 1, "source": 1, "received_at": 1}
        async for d in self.records.find({"workspace_id": workspace_id}, fields):
            key = (d.get("resource_type") or "", d.get("provider"), d.get("source") or "import")
            group = groups.setdefault(key, {"resource_type": key[0], "provider": key[1], "source": key[2],
                                            "count": 0, "latest_at": None})
            group["count"] += 1
            group["latest_at"] = max(filter(None, [group["latest_at"], str(d.get("received_at"))]))
        return sorted(groups.values(), key=lambda g: (-g["count"], g["resource_type"]))

    async def emit(self, workspace_id: str, event_type: str, payloads: list[Doc], correlation_id: str,
                   actor: Actor | None = None, stream_ids: list[str] | None = None) -> int:
        """Append one event per payload in record-batch streams, handed to the relay; how many were appended.

        Built as stored documents directly (thousands per batch): each batch's first payload is checked against
        the event's model, the rest have the same shape (record_view). `stream_ids`: the streams chosen for them
        beforehand (event_streams), one per EVENTS_PER_COMMIT payloads."""
        if not payloads:
            return 0
        model = rx.EVENT_MODELS[event_type]
        model.model_validate(payloads[0])
        now = utcnow()
        at, who = now.isoformat(), (actor or Actor()).model_dump()
        docs = []
        for start in range(0, len(payloads), EVENTS_PER_COMMIT):
            stream_id = stream_ids[start // EVENTS_PER_COMMIT] if stream_ids else "rcb_" + new_ulid()
            command_id = f"cmd_{stream_id}"
            events = [{"event_id": f"evt_{stream_id}.{i + 1}", "type": event_type,
                       "schema_version": model.schema_version, "stream_id": stream_id, "version": i + 1,
                       "workspace_id": workspace_id, "occurred_at": at, "command_id": command_id,
                       "correlation_id": correlation_id, "causation_id": command_id, "actor": who, "data": p}
                      for i, p in enumerate(payloads[start:start + EVENTS_PER_COMMIT])]
            docs.append(stored_commit(stream_id, 0, command_id, workspace_id, events, now))
        await self.runtime.store.append_many(docs)
        self.runtime.relay.send(docs)
        return len(payloads)

"""Records and their events on `sync.record.events`.

A record is the latest raw item of one key of one resource (a sync's stream, a webhook's resource type, an
import), kept as ingested so a table can be re-projected into a new schema without fetching again. A record of a
table's row lives inside that row's document (`rec` in `sync_table_rows`: one document per row, written in the
same bulk write as the row); the others (webhook deliveries, imports without a table, items that arrived while
their table held a schema change, records of a deleted table or row) are documents of `sync_records`. A record id
is in one place at a time; the records API reads both. Their events go through the service's event store in
record-batch streams (`rcb_...`, up to EVENTS_PER_COMMIT events per commit document, packed as one JSON text:
nx-27017's cost per document grows with the values it holds), so thousands of items cost a few inserts, and the
outbox relay publishes them like any other event.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Collection
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from junction_common.envelope import Actor, utcnow
from junction_common.ids import new_ulid
from junction_common.service import ServiceRuntime
from junction_common.store.event_store import packed_events, stored_commit
from sync.records.docs import of_row, record_row_id
from sync.tables.rows import WHOLE_BATCH, bulk_put
from sync_contracts import records as rx
from sync_contracts import tables as tx

Doc = dict[str, Any]
EVENTS_PER_COMMIT = 500
IN_ROW = {"rec": 1, "workspace_id": 1, "table_id": 1, "key": 1}  # what a row's record is read from


def event_streams(count: int) -> list[str]:
    """The record-batch streams (`rcb_...`) the events of `count` records will be appended in, chosen before the
    records are written so each record names its event's stream (`event_stream`): a resumed run tells from the
    event store whether that event was appended."""
    return ["rcb_" + new_ulid() for _ in range(0, count, EVENTS_PER_COMMIT)]


class RecordStore:
    """The workspace's records (in their rows' documents and in `sync_records`) and their events."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.db: AsyncDatabase[Doc] = runtime.db
        self.records = runtime.db[rx.RECORDS]
        self.rows = runtime.db[tx.ROWS]

    async def ensure_indexes(self) -> None:
        await self.records.create_index([("workspace_id", 1)])
        await self.records.create_index([("table_id", 1)])
        await self.records.create_index([("run_id", 1)])
        await self.rows.create_index([("workspace_id", 1)])
        await self.rows.create_index([("rec.run_id", 1)])

    async def appended(self, stream_ids: Collection[str]) -> set[str]:
        """Those of these record-batch streams whose events are in the event store."""
        commits = self.runtime.store.commits.find({"stream_id": {"$in": list(stream_ids)}}, {"stream_id": 1})
        return {str(c["stream_id"]) async for c in commits}

    async def put(self, docs: list[Doc], existing: Collection[str] | None = None) -> None:
        """Store these records in `sync_records` (a later item of the same id replaces the earlier); `existing`:
        the ids known to be stored already (the others are inserted), None when not known."""
        await bulk_put(self.records, list({d["_id"]: d for d in docs}.values()), existing)

    async def loosen(self, docs: list[Doc]) -> None:
        """Keep these records in `sync_records` (their table holds a schema change: no row is written), out of
        the rows that held an earlier item of theirs."""
        await self.put(docs)
        if docs:
            await self.rows.update_many({"_id": {"$in": [record_row_id(d["_id"]) for d in docs]},
                                         "rec._id": {"$exists": True}}, {"$unset": {"rec": ""}})

    async def keep_of_rows(self, where: Doc) -> None:
        """Before rows go (`where`: a row's `_id`, or a table's `table_id`): the records they hold, kept in
        `sync_records`."""
        held = self.rows.find({**where, "rec._id": {"$exists": True}}, IN_ROW, batch_size=WHOLE_BATCH)
        records = [doc async for row in held if (doc := of_row(row)) is not None]
        for first in range(0, len(records), WHOLE_BATCH):
            await bulk_put(self.records, records[first:first + WHOLE_BATCH])

    async def loose_of_table(self, table_id: str) -> bool:
        """Whether `sync_records` holds records of this table (held while it paused, or left by its deletion)."""
        return await self.records.find_one({"table_id": table_id}, {"_id": 1}) is not None

    async def drop_loose(self, ids: list[str]) -> None:
        """These records are kept in their rows now: their `sync_records` copies go."""
        if ids:
            await self.records.delete_many({"_id": {"$in": ids}})

    async def get(self, workspace_id: str, rid: str) -> Doc | None:
        doc = await self.records.find_one({"_id": rid})
        if doc is None:
            row = await self.rows.find_one({"_id": record_row_id(rid), "rec._id": rid}, IN_ROW)
            doc = of_row(row) if row is not None else None
        return dict(doc) if doc is not None and doc.get("workspace_id") == workspace_id else None

    async def of_table(self, table_id: str) -> list[Doc]:
        """The table's records in `sync_records` (not those inside its rows)."""
        return [dict(d) async for d in self.records.find({"table_id": table_id}, batch_size=WHOLE_BATCH)]

    async def of_run(self, workspace_id: str, run_id: str) -> tuple[list[Doc], list[Doc]]:
        """The run's records: those in `sync_records`, and those in rows."""
        query: Doc = {"run_id": run_id, "workspace_id": workspace_id}
        in_rows = self.rows.find({"rec.run_id": run_id, "workspace_id": workspace_id}, IN_ROW,
                                 batch_size=WHOLE_BATCH)
        return ([dict(d) async for d in self.records.find(query, batch_size=WHOLE_BATCH)],
                [doc async for row in in_rows if (doc := of_row(row)) is not None])

    async def delete(self, rid: str) -> None:
        """The record goes (from `sync_records`, or out of its row: the row stays)."""
        await self.records.delete_one({"_id": rid})
        await self.rows.update_one({"_id": record_row_id(rid), "rec._id": rid}, {"$unset": {"rec": ""}})

    async def find(self, workspace_id: str, where: Doc, offset: int, limit: int) -> tuple[list[Doc], int]:
        """One page of the workspace's records matching `where`, newest first (both places merged), and how many."""
        query = {"workspace_id": workspace_id, **where}
        in_rows = {"workspace_id": workspace_id, "rec._id": {"$exists": True},
                   **{("rec.raw" if k == "text" else f"rec.{k}"): v for k, v in where.items()}}
        if "text" in where:  # the raw item's JSON text, case-insensitively (the stored text is lowercased)
            in_rows["rec.raw"] = {**where["text"], "$options": "i"}
        order = [("received_at", -1), ("_id", 1)]
        total = await self.records.count_documents(query) + await self.rows.count_documents(in_rows)
        loose = [dict(d) async for d in self.records.find(query).sort(order).limit(offset + limit)]
        found = self.rows.find(in_rows, IN_ROW).sort([("rec.received_at", -1), ("rec._id", 1)])
        kept = [doc async for row in found.limit(offset + limit) if (doc := of_row(row)) is not None]
        merged = sorted(loose + kept, key=lambda d: d["_id"])
        merged.sort(key=lambda d: str(d.get("received_at")), reverse=True)
        return merged[offset:offset + limit], total

    async def summary(self, workspace_id: str) -> list[Doc]:
        """Count per resource type, provider and source, with the latest item's time."""
        groups: dict[tuple[str, str | None, str], Doc] = {}
        fields = {"resource_type": 1, "provider": 1, "source": 1, "received_at": 1}
        loose = self.records.find({"workspace_id": workspace_id}, fields)
        in_rows = self.rows.find({"workspace_id": workspace_id, "rec._id": {"$exists": True}}, {"rec": 1})
        async for d in _chain(loose, in_rows):
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
        await self.runtime.store.append_many([packed_events(d) for d in docs])  # 500 events: one value, not 15,000
        self.runtime.relay.send(docs)
        return len(payloads)


async def _chain(loose: AsyncIterable[Doc], in_rows: AsyncIterable[Doc]) -> AsyncIterator[Doc]:
    async for doc in loose:
        yield doc
    async for row in in_rows:
        yield row["rec"]

"""A table's rows in `sync_table_rows`: one document per primary key, `_id` derived from the table id and the key
(every hot lookup is an `_id` lookup), written in bulk: one `_id $in` read and one unordered `bulk_write` per
batch, never one call per row. A row made from an ingested item holds that item's record (`rec`, the raw item and
its facts: sync.records.store), so a batch writes one document per row; the rows API reads rows without it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from pymongo import InsertOne, ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from sync.domain.table_types import coerce
from sync_contracts import tables as tx

Doc = dict[str, Any]


DUPLICATE_KEY = 11000
NO_RECORD = {"rec": 0}  # a row as the rows API reads it: without the record it holds
WHOLE_BATCH = 10_000  # documents per answer when a whole table is read (the server caps an answer at 16 MB)


async def bulk_put(coll: AsyncCollection[Doc], docs: list[Doc], existing: Collection[str] | None = None) -> None:
    """Each document written by `_id` in one unordered bulk write: inserted when `existing` (the ids known to be
    there) does not name it, else replaced; an insert that meets a document written meanwhile is replaced after."""
    if not docs:
        return
    ops: list[InsertOne[Doc] | ReplaceOne[Doc]] = [
        InsertOne(d) if existing is not None and d["_id"] not in existing else ReplaceOne({"_id": d["_id"]}, d,
                                                                                            upsert=True)
        for d in docs]
    try:
        await coll.bulk_write(ops, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        taken = [docs[int(e["index"])] for e in errors]
        await coll.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in taken], ordered=False)


class MissingKey(ValueError):
    """A row lacks a value of its table's primary key."""


def row_key(data: Doc, primary_key: list[str] | None) -> str:
    """The row's key: its primary key's values (one: as text; several: a JSON list); without a primary key, a hash
    of its content (the same item ingested twice is one row)."""
    if not primary_key:
        content = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        return "h:" + hashlib.sha256(content.encode()).hexdigest()[:32]
    values = [data.get(column) for column in primary_key]
    missing = [c for c, v in zip(primary_key, values, strict=True) if v is None or v == ""]
    if missing:
        raise MissingKey(f"missing primary key column(s): {', '.join(missing)}")
    if len(values) == 1:
        return str(values[0])
    return json.dumps(values, separators=(",", ":"), default=str)


def row_id(table_id: str, key: str) -> str:
    return "row_" + hashlib.sha256(f"{table_id}:{key}".encode()).hexdigest()[:32]


def shape(raw: Doc, columns: list[dict[str, str]]) -> Doc:
    """The row a raw item makes under the schema: only the schema's columns, each value coerced to its type."""
    return shape_typed(raw, {c["name"]: c["type"] for c in columns})


def shape_typed(raw: Doc, types: dict[str, str]) -> Doc:
    """`shape` with the schema's column types given (once per batch, not per row)."""
    return {name: coerce(value, types[name]) for name, value in raw.items() if name in types}


@dataclass(frozen=True)
class RowWrite:
    """A row's values by key; `record_id`: the record they come from (None: the API's own values); `record`: that
    record's document, kept in the row (None: the row keeps the record it holds)."""

    key: str
    data: Doc
    record_id: str | None = None
    record: Doc | None = None


@dataclass(frozen=True)
class Upserted:
    created: int
    updated: int
    ids: list[str]


class RowStore:
    """Rows of every table of the service."""

    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.rows = db[tx.ROWS]

    async def ensure_indexes(self) -> None:
        await self.rows.create_index([("table_id", 1)])

    async def read(self, ids: list[str], records: bool = True) -> dict[str, Doc]:
        """The rows of these ids that exist (one `_id $in` query, answered in one batch: no getMore per 100);
        without the records they hold unless `records`."""
        if not ids:
            return {}
        found = self.rows.find({"_id": {"$in": ids}}, None if records else NO_RECORD, batch_size=len(ids))
        return {d["_id"]: d async for d in found}

    async def upsert(self, workspace_id: str, table_id: str, writes: list[RowWrite], at: str,
                     merge: bool = False, existing: dict[str, Doc] | None = None) -> Upserted:
        """Insert or replace each row by key (the last write of a key in the batch wins); `merge` keeps the
        existing row's other columns; `existing`: the rows as just read (else read here, with their records; a
        write without a record keeps the one its row holds)."""
        by_id = {row_id(table_id, w.key): w for w in writes}
        if existing is None:
            existing = await self.read(list(by_id))
        existing = {rid: existing[rid] for rid in by_id if rid in existing}
        docs = []
        for rid, w in by_id.items():
            old = existing.get(rid)
            data = {**(old or {}).get("data", {}), **w.data} if merge and old else w.data
            doc = {"_id": rid, "table_id": table_id, "workspace_id": workspace_id, "key": w.key, "data": data,
                   "record_id": w.record_id, "created_at": old["created_at"] if old else at, "updated_at": at}
            record = w.record if w.record is not None else (old or {}).get("rec")
            if record is not None:
                doc["rec"] = record
            docs.append(doc)
        await bulk_put(self.rows, docs, existing)
        return Upserted(created=len(by_id) - len(existing), updated=len(existing), ids=list(by_id))

    async def existing_ids(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        return {d["_id"] async for d in self.rows.find({"_id": {"$in": ids}}, {"_id": 1}, batch_size=len(ids))}

    async def get(self, workspace_id: str, table_id: str, rid: str, records: bool = False) -> Doc | None:
        doc = await self.rows.find_one({"_id": rid}, None if records else NO_RECORD)
        if doc is None or doc.get("workspace_id") != workspace_id or doc.get("table_id") != table_id:
            return None
        return dict(doc)

    async def delete(self, rid: str) -> None:
        """The row goes (the record it held is kept by RecordStore.keep_of_rows first)."""
        await self.rows.delete_one({"_id": rid})

    async def delete_table(self, table_id: str) -> None:
        """The table's rows go (the records they held are kept by RecordStore.keep_of_rows first)."""
        await self.rows.delete_many({"table_id": table_id})

    async def count(self, table_id: str) -> int:
        return await self.rows.count_documents({"table_id": table_id})

    async def find(self, table_id: str, where: Doc, sort: list[tuple[str, int]], offset: int, limit: int
                   ) -> tuple[list[Doc], int]:
        """One page of the rows matching `where` (on `data.<column>`), and how many match."""
        query = {"table_id": table_id, **where}
        total = await self.rows.count_documents(query)
        cursor = self.rows.find(query, NO_RECORD).sort(sort or [("_id", 1)]).skip(offset).limit(limit)
        return [dict(d) async for d in cursor], total

    async def all(self, table_id: str, sort: list[tuple[str, int]] | None = None, records: bool = False
                  ) -> list[Doc]:
        found = self.rows.find({"table_id": table_id}, None if records else NO_RECORD, batch_size=WHOLE_BATCH)
        found = found.sort(sort or [("_id", 1)])
        return [dict(d) async for d in found]

    async def replace_data(self, docs: list[Doc]) -> None:
        """Write these rows back (a re-projection), each as given."""
        if docs:
            await self.rows.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in docs], ordered=False)


def row_view(doc: Doc) -> Doc:
    """A row as the API returns it."""
    return {"id": doc["_id"], "key": doc.get("key"), "data": doc.get("data", {}),
            "created_at": doc.get("created_at"), "updated_at": doc.get("updated_at")}

"""The records API's operations: list, summary, get, delete, replay, import.

A replay re-emits the record's event (`record.replayed`, the record as it was kept) so flows process it again,
and upserts its row again from the raw item when it belongs to a table. An import keeps each item as a record
(keyed by its primary key, else by its content) and, naming a table, upserts it there too (made if missing).
"""

from __future__ import annotations

import re
from typing import Any

from junction_common.envelope import Actor, utcnow
from junction_common.identity import Principal
from junction_common.web.envelope import ApiError
from sync.records.docs import in_row, record_doc, record_id, record_view
from sync.records.store import RecordStore
from sync.tables.ingest import Ingest, Source
from sync.tables.operations import cause_of
from sync.tables.plans import PlanBook
from sync.tables.rows import MissingKey, RowWrite, row_key, shape
from sync.tables.targets import TableTarget
from sync_contracts import records as rx

Doc = dict[str, Any]


class Records:
    def __init__(self, ingest: Ingest) -> None:
        self.ingest = ingest
        self.store: RecordStore = ingest.records
        self.plans = PlanBook(ingest.runtime.db)

    async def find(self, workspace_id: str, rid: str) -> Doc:
        doc = await self.store.get(workspace_id, rid)
        if doc is None:
            raise ApiError("NOT_FOUND", "The record could not be found.", {"id": rid})
        return doc

    async def page(self, workspace_id: str, q: rx.RecordsQuery) -> tuple[list[Doc], Doc]:
        where: Doc = {k: v for k, v in (("resource_type", q.resource_type), ("provider", q.provider_filter),
                                        ("source", q.source)) if v}
        if q.search:
            where["text"] = {"$regex": re.escape(q.search.lower())}
        found, total = await self.store.find(workspace_id, where, q.start, q.limit)
        page = {"limit": q.limit, "offset": q.start, "total": total, "hasMore": q.start + len(found) < total}
        if q.page is not None:
            page["page"] = q.page
        return [record_view(d) for d in found], page

    async def delete(self, principal: Principal, request_id: str, rid: str) -> None:
        doc = await self.find(principal.workspace_id, rid)
        await self.store.delete(rid)
        await self.store.emit(principal.workspace_id, "record.deleted", [{"record": record_view(doc)}], request_id,
                              Actor(kind="api_key", id=principal.key_id))

    async def replay(self, principal: Principal, request_id: str, rid: str) -> Doc:
        """The record's event again, and its row again from the raw item (when its table is live)."""
        doc = await self.find(principal.workspace_id, rid)
        view = record_view(doc)
        table_row = False
        state = await self.ingest.tables.state(doc["table_id"]) if doc.get("table_id") else None
        if state is not None and not state.deleted and state.held is None and doc.get("key") is not None:
            write = RowWrite(str(doc["key"]), shape(doc["data"], state.columns), rid, in_row(doc))
            await self.ingest.rows.upsert(principal.workspace_id, state.table_id, [write], utcnow().isoformat())
            await self.store.drop_loose([rid])  # held by its row from now on
            table_row = True
        await self.store.emit(principal.workspace_id, "record.replayed", [{"record": view}], request_id,
                              Actor(kind="api_key", id=principal.key_id))
        return {"id": rid, "replayed": True, "event": "record.replayed", "table_row": table_row, "record": view}

    async def import_records(self, principal: Principal, request_id: str, body: rx.RecordsImport) -> Doc:
        plan = await self.plans.remember(principal)
        cause = cause_of(principal, request_id)
        source = Source("import", resource_type=body.resource_type, provider=body.provider)
        if body.table:
            target = TableTarget(slug=body.table, name=body.table, provider=body.provider)
            state = await self.ingest.table(cause, target, body.records, body.primary_key, "import", plan)
            result = await self.ingest.write(cause, state, body.records, source, plan=plan)
            errors = [{"index": r["index"], "error": r["error"]} for r in result.rejected]
            return {"imported": len(body.records) - len(errors), "failed": len(errors), "errors": errors,
                    "table": result.slug, "created": result.created, "updated": result.updated,
                    "paused": result.paused}
        return await self._records_only(cause.workspace_id, request_id, principal, body, source)

    async def _records_only(self, workspace_id: str, request_id: str, principal: Principal,
                            body: rx.RecordsImport, source: Source) -> Doc:
        at, docs, errors = utcnow().isoformat(), [], []
        scope = f"{body.provider or ''}:{body.resource_type}"
        for index, item in enumerate(body.records):
            try:
                key = row_key(item, body.primary_key)
            except MissingKey as exc:
                errors.append({"index": index, "error": str(exc)})
                continue
            docs.append(record_doc(workspace_id, record_id(workspace_id, scope, key), item, at,
                                   resource_type=body.resource_type, provider=body.provider, source=source.kind,
                                   key=key))
        await self.store.put(docs)
        await self.store.emit(workspace_id, "record.ingested", [{"record": record_view(d)} for d in docs],
                              request_id, Actor(kind="api_key", id=principal.key_id))
        return {"imported": len(docs), "failed": len(errors), "errors": errors, "table": None,
                "ids": [d["_id"] for d in docs][:1000]}

"""The tables API's row operations: list, insert, upsert, lookup, update, delete. Every write infers and evolves
the table's schema from the values it brings (under the table's policy) and is refused while the table holds a
schema change for approval; inserts that would pass the plan's rows per table are refused whole."""

from __future__ import annotations

from typing import Any

from junction_common.identity import Principal
from junction_common.web.envelope import ApiError
from sync.domain import table as domain
from sync.domain.table_types import is_column
from sync.tables import query
from sync.tables.ingest import BatchResult
from sync.tables.operations import Tables, cause_of
from sync.tables.rows import MissingKey, row_id, row_key, row_view
from sync_contracts import tables as tx

Doc = dict[str, Any]


def _held(result: BatchResult, state: domain.Table) -> None:
    if result.paused:
        raise ApiError("VALIDATION_ERROR", "The table holds a schema change awaiting approval: approve it first.",
                       {"slug": result.slug, "pending_schema_change": result.schema_changes or state.held})


def _named(items: list[Doc]) -> None:
    """Every field of a row written through the API names a possible column."""
    for index, item in enumerate(items):
        bad = next((name for name in item if not is_column(name)), None)
        if bad is not None:
            raise ApiError("VALIDATION_ERROR", "A column name is letters, digits, `_`, `-` and spaces (no `.` or "
                           "`$`), at most 128 long.", {"column": bad[:200], "index": index})


def _refused(result: BatchResult) -> None:
    if result.rejected:
        raise ApiError("VALIDATION_ERROR", result.rejected[0]["error"], {"rows": result.rejected})


class TableRows:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.rows = tables.rows

    async def page(self, principal: Principal, slug: str, q: tx.RowsQuery) -> tuple[list[Doc], Doc]:
        """One page of rows and its pagination (`limit`, `offset`, `total`, `hasMore`)."""
        state = await self.tables.state(principal.workspace_id, slug)
        types = state.types()
        found, total = await self.rows.find(state.table_id, query.where(types, q.filter, q.search),
                                            query.sort_of(types, q.sort), q.offset, q.limit)
        page = {"limit": q.limit, "offset": q.offset, "total": total, "hasMore": q.offset + len(found) < total}
        return [row_view(d) for d in found], page

    async def create(self, principal: Principal, request_id: str, slug: str, data: Doc) -> Doc:
        """A new row; a row with the same key is refused (upsert replaces it)."""
        state = await self.tables.state(principal.workspace_id, slug)
        try:
            key = row_key(data, state.record.get("primary_key"))
        except MissingKey as exc:
            raise ApiError("VALIDATION_ERROR", str(exc), {"primary_key": state.record.get("primary_key")}) from exc
        if await self.rows.get(principal.workspace_id, state.table_id, row_id(state.table_id, key)):
            raise ApiError("VALIDATION_ERROR", "A row with this key already exists.", {"key": key})
        await self._write(principal, request_id, state, [data])
        return await self._row(principal.workspace_id, state, row_id(state.table_id, key))

    async def upsert(self, principal: Principal, request_id: str, slug: str, body: tx.UpsertBody) -> Doc:
        """Rows inserted or merged into the row of the same key (`keyColumns`, default the primary key)."""
        items = ([body.data] if body.data is not None else []) + list(body.rows or [])
        if not items:
            raise ApiError("VALIDATION_ERROR", "Give `data` (one row) or `rows`.", None)
        state = await self.tables.state(principal.workspace_id, slug)
        keys = body.key_columns or state.record.get("primary_key")
        if not keys:
            raise ApiError("VALIDATION_ERROR", "The table has no primary key: give `keyColumns`.", None)
        ids = []
        for index, item in enumerate(items):
            try:
                ids.append(row_id(state.table_id, row_key(item, keys)))
            except MissingKey as exc:
                raise ApiError("VALIDATION_ERROR", str(exc), {"rows": [{"index": index, "error": str(exc)}]}) from exc
        result = await self._write(principal, request_id, state, items, keys)
        rows = [await self._row(principal.workspace_id, state, rid) for rid in dict.fromkeys(ids)][:100]
        return {"created": result.created, "updated": result.updated, "rows": rows}

    async def lookup(self, principal: Principal, slug: str, q: tx.LookupQuery) -> list[Doc]:
        """Rows whose `column` equals `value` (one `_id` lookup for a single-column primary key)."""
        state = await self.tables.state(principal.workspace_id, slug)
        pk = state.record.get("primary_key") or []
        column = q.column or (pk[0] if len(pk) == 1 else None)
        if column is None:
            raise ApiError("VALIDATION_ERROR", "Name the `column` to look up by.", None)
        if pk == [column]:
            doc = await self.rows.get(principal.workspace_id, state.table_id, row_id(state.table_id, q.value))
            return [row_view(doc)] if doc else []
        types = state.types()
        where = query.where(types, [f"{column}:eq:{q.value}"], None)
        found, _ = await self.rows.find(state.table_id, where, query.sort_of(types, None), 0, q.limit)
        return [row_view(d) for d in found]

    async def update(self, principal: Principal, request_id: str, slug: str, rid: str, data: Doc) -> Doc:
        """The row's values merged with `data`; its key columns cannot change."""
        state = await self.tables.state(principal.workspace_id, slug)
        current = await self._row(principal.workspace_id, state, rid)
        merged = {**current["data"], **data}
        keys = state.record.get("primary_key")
        if keys and row_key(merged, keys) != current["key"]:
            raise ApiError("VALIDATION_ERROR", "A row's primary key cannot change.", {"primary_key": keys})
        if not keys:
            raise ApiError("VALIDATION_ERROR", "A row of a table without a primary key is replaced, not updated: "
                           "delete it and insert the new one.", None)
        await self._write(principal, request_id, state, [merged], keys, merge=True)
        return await self._row(principal.workspace_id, state, rid)

    async def delete(self, principal: Principal, slug: str, rid: str) -> None:
        state = await self.tables.state(principal.workspace_id, slug)
        await self._row(principal.workspace_id, state, rid)
        await self.tables.ingest.records.keep_of_rows({"_id": rid})  # the record it held outlives the row
        await self.rows.delete(rid)

    async def _write(self, principal: Principal, request_id: str, state: domain.Table, items: list[Doc],
                     keys: list[str] | None = None, merge: bool = True) -> BatchResult:
        _named(items)
        plan = await self.tables.plans.remember(principal)
        result = await self.tables.ingest.write(cause_of(principal, request_id), state, items, None,
                                                key_columns=keys, plan=plan, merge=merge)
        _held(result, state)
        _refused(result)
        return result

    async def _row(self, workspace_id: str, state: domain.Table, rid: str) -> Doc:
        doc = await self.rows.get(workspace_id, state.table_id, rid)
        if doc is None:
            raise ApiError("NOT_FOUND", "The row could not be found.", {"id": rid})
        return row_view(doc)

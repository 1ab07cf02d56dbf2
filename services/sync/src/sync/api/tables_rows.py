"""connect-api.txt's table rows (`/connect/v1/tables/:slug/rows`, `/import`, `/export`) in the `/connect/v1`
envelope (an export as CSV is the file itself)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from junction_common.service import ServiceRuntime
from junction_common.web.envelope import json_response, ok_body, request_id_of
from sync.api.tables import PREFIX, Caller, Slug
from sync.tables.operations import Tables
from sync.tables.row_ops import TableRows
from sync.tables.transfer import import_rows, to_csv
from sync_contracts import tables as tx

RowId = Annotated[str, Path(max_length=64, pattern=r"^row_[a-f0-9]{1,60}$")]


def router(runtime: ServiceRuntime) -> APIRouter:
    tables = Tables(runtime)
    rows = TableRows(tables)
    api = APIRouter(prefix=PREFIX + "/{slug}")

    @api.get("/rows")
    async def list_table_rows(slug: Slug, q: Annotated[tx.RowsQuery, Query()], request: Request,
                              principal: Caller) -> Response:
        """Rows filtered (`filter=column:op:value`), searched, sorted (`sort=-column`) and paged (limit/offset)."""
        data, page = await rows.page(principal, slug, q)
        return json_response(ok_body(data, request_id_of(request), {"pagination": page}))

    @api.post("/rows")
    async def create_table_row(slug: Slug, body: tx.RowBody, request: Request, principal: Caller) -> Response:
        """A new row; its columns' types are inferred and the table's schema evolves with them."""
        row = await rows.create(principal, request_id_of(request), slug, body.data)
        return json_response(ok_body(row, request_id_of(request)), 201)

    @api.post("/rows/upsert")
    async def upsert_table_row(slug: Slug, body: tx.UpsertBody, request: Request, principal: Caller) -> Response:
        """Rows inserted, or merged into the row with the same key."""
        data = await rows.upsert(principal, request_id_of(request), slug, body)
        return json_response(ok_body(data, request_id_of(request)))

    @api.get("/rows/lookup")
    async def lookup_table_rows(slug: Slug, q: Annotated[tx.LookupQuery, Query()], request: Request,
                                principal: Caller) -> Response:
        """Rows whose column equals a value (the primary key by default)."""
        data = await rows.lookup(principal, slug, q)
        return json_response(ok_body(data, request_id_of(request), {"total": len(data)}))

    @api.patch("/rows/{row_id}")
    async def update_table_row(slug: Slug, row_id: RowId, body: tx.RowBody, request: Request,
                               principal: Caller) -> Response:
        """The row's values merged with the ones given."""
        row = await rows.update(principal, request_id_of(request), slug, row_id, body.data)
        return json_response(ok_body(row, request_id_of(request)))

    @api.delete("/rows/{row_id}")
    async def delete_table_row(slug: Slug, row_id: RowId, request: Request, principal: Caller) -> Response:
        await rows.delete(principal, slug, row_id)
        return json_response(ok_body({"id": row_id, "deleted": True}, request_id_of(request)))

    @api.post("/import")
    async def import_table_rows(slug: Slug, request: Request, principal: Caller) -> Response:
        """CSV or JSON rows upserted, with a report of each row that failed."""
        report = await import_rows(tables, principal, request_id_of(request), slug,
                                   request.headers.get("content-type", ""), await request.body())
        return json_response(ok_body(report, request_id_of(request)))

    @api.get("/export")
    async def export_table(slug: Slug, q: Annotated[tx.ExportQuery, Query()], request: Request,
                           principal: Caller) -> Response:
        """Every row, as CSV (a header row of the columns) or JSON."""
        state = await tables.state(principal.workspace_id, slug)
        pk = state.record.get("primary_key") or []
        order = [(f"data.{c}", 1) for c in pk] + [("created_at", 1), ("_id", 1)]
        found = await tables.rows.all(state.table_id, order)
        columns = [c["name"] for c in state.columns]
        if q.format == "json":
            data = {"columns": state.columns, "rows": [r["data"] for r in found]}
            return json_response(ok_body(data, request_id_of(request), {"total": len(found)}))
        headers = {"Content-Disposition": f'attachment; filename="{slug}.csv"'}
        return Response(to_csv(columns, found), media_type="text/csv", headers=headers)

    return api

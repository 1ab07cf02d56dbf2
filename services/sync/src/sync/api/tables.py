"""connect-api.txt's tables (`/connect/v1/tables`): list, create, get, update, delete, and approving a held schema
change (Junction's own route), in the `/connect/v1` envelope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from junction_common.identity import Principal
from junction_common.internal_api import caller
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import json_response, ok_body, request_id_of
from sync.tables.operations import Tables, table_view
from sync_contracts import tables as tx
from sync_contracts.declarations import CONNECT_BASE

PREFIX = "/internal" + CONNECT_BASE + "/tables"
Caller = Annotated[Principal, Depends(caller)]
Slug = Annotated[str, Path(max_length=63, pattern=r"^[a-z0-9][a-z0-9_]{0,62}$")]


def router(runtime: ServiceRuntime) -> APIRouter:
    tables = Tables(runtime)
    api = APIRouter(prefix=PREFIX)

    @api.get("")
    async def list_tables(request: Request, principal: Caller) -> Response:
        """The workspace's tables, each with its row count."""
        docs = await tables.service.of_workspace(principal.workspace_id)
        data = [table_view(d, await tables.rows.count(d["id"]), history=False) for d in docs]
        return json_response(ok_body(data, request_id_of(request), {"total": len(data)}))

    @api.post("")
    async def create_table(body: tx.TableCreate, request: Request, principal: Caller) -> Response:
        """A table with a name (its slug derives from it unless given), optional columns, primary key and policy."""
        doc = await tables.create(principal, request_id_of(request), body)
        return json_response(ok_body(table_view(doc, 0), request_id_of(request)), 201)

    @api.get("/{slug}")
    async def get_table(slug: Slug, request: Request, principal: Caller) -> Response:
        """The table with its columns, row count, schema change history and any change held for approval."""
        doc = await tables.find(principal.workspace_id, slug)
        return json_response(ok_body(table_view(doc, await tables.rows.count(doc["id"])), request_id_of(request)))

    @api.patch("/{slug}")
    async def update_table(slug: Slug, body: tx.TableUpdate, request: Request, principal: Caller) -> Response:
        """Name, description and schema policy; columns may be added or widened, never narrowed."""
        doc = await tables.update(principal, request_id_of(request), slug, body)
        return json_response(ok_body(table_view(doc, await tables.rows.count(doc["id"])), request_id_of(request)))

    @api.delete("/{slug}")
    async def delete_table(slug: Slug, request: Request, principal: Caller) -> Response:
        """The table and its rows are deleted (its records stay)."""
        doc = await tables.delete(principal, request_id_of(request), slug)
        return json_response(ok_body({"id": doc["id"], "slug": doc["slug"], "deleted": True},
                                     request_id_of(request)))

    @api.post("/{slug}/schema/approve")
    async def approve_table_schema_change(slug: Slug, request: Request, principal: Caller) -> Response:
        """The held schema change is applied, the rows re-projected, and the table's streams resume."""
        doc = await tables.approve(principal, request_id_of(request), slug)
        return json_response(ok_body(table_view(doc, await tables.rows.count(doc["id"])), request_id_of(request)))

    return api

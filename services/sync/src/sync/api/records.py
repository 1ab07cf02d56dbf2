"""connect-api.txt's records (`/connect/v1/records`): list, summary, get, delete, replay, import, in the
`/connect/v1` envelope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from junction_common.identity import Principal
from junction_common.internal_api import caller
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import json_response, ok_body, request_id_of
from sync.records.docs import record_view
from sync.records.operations import Records
from sync.tables.ingest import Ingest
from sync_contracts import records as rx
from sync_contracts.declarations import CONNECT_BASE

Caller = Annotated[Principal, Depends(caller)]
RecordId = Annotated[str, Path(max_length=64, pattern=r"^rec_[a-f0-9]{1,60}$")]


def router(runtime: ServiceRuntime) -> APIRouter:
    records = Records(Ingest(runtime))
    api = APIRouter(prefix="/internal" + CONNECT_BASE + "/records")

    @api.get("")
    async def list_records(q: Annotated[rx.RecordsQuery, Query()], request: Request, principal: Caller) -> Response:
        """Ingested items, newest first, by resource type, provider, source and a search in their data."""
        data, page = await records.page(principal.workspace_id, q)
        return json_response(ok_body(data, request_id_of(request), {"pagination": page}))

    @api.get("/summary")
    async def get_records_summary(request: Request, principal: Caller) -> Response:
        """How many records per resource type, provider and source, with the latest's time."""
        groups = await records.store.summary(principal.workspace_id)
        data = {"total": sum(g["count"] for g in groups), "groups": groups}
        return json_response(ok_body(data, request_id_of(request)))

    @api.post("/import")
    async def import_records(body: rx.RecordsImport, request: Request, principal: Caller) -> Response:
        """Items kept as records (and upserted into `table` when named), with a report of those refused."""
        report = await records.import_records(principal, request_id_of(request), body)
        return json_response(ok_body(report, request_id_of(request)))

    @api.get("/{record_id}")
    async def get_record(record_id: RecordId, request: Request, principal: Caller) -> Response:
        doc = await records.find(principal.workspace_id, record_id)
        return json_response(ok_body(record_view(doc), request_id_of(request)))

    @api.delete("/{record_id}")
    async def delete_record(record_id: RecordId, request: Request, principal: Caller) -> Response:
        await records.delete(principal, request_id_of(request), record_id)
        return json_response(ok_body({"id": record_id, "deleted": True}, request_id_of(request)))

    @api.post("/{record_id}/replay")
    async def replay_record(record_id: RecordId, request: Request, principal: Caller) -> Response:
        """The record's event emitted again, so flows and tables process it again."""
        data = await records.replay(principal, request_id_of(request), record_id)
        return json_response(ok_body(data, request_id_of(request)))

    return api

"""BI exports: the query an export runs, its CSV file in the gateway's object store (beside asset bytes), and
its signed, expiring download URL.

An export is created `pending` (bi_export.created); the gateway then computes the rows, stores the CSV and
records the outcome (bi_export.completed with row_count, byte_size and checksum_sha256, or bi_export.failed with
the error). Should the gateway stop in between, the export stays `pending`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pymongo.asynchronous.database import AsyncDatabase

from gateway import bi_plan
from gateway import idempotency as idem
from gateway.bi_compute import Result
from gateway.context import request_id_of
from gateway.deps import Resources
from gateway.dispatch import Dispatcher
from gateway.listing import present
from gateway.object_store import signed_urls
from gateway.responses import ApiError, dumps, ok_body
from gateway.writes import WriteSpec, execute_write
from junction_common.contracts.crm_bi import BI_EXPORT, BI_REPORT, ExportCreate, QueryRun
from junction_common.envelope import Actor, CommandEnvelope
from junction_common.identity import Principal
from junction_common.ids import new_id

Doc = dict[str, Any]
URL_TTL_S = 900
ACTION = "bi_export"
MAX_EXPORT_BYTES = 200 * 1024 * 1024


def view(request: Request, res: Resources, doc: Doc) -> Doc:
    """The export as answered: a completed one carries a signed `download_url` valid for URL_TTL_S seconds."""
    data = present(doc)
    if doc.get("status") == "completed":
        data["download_url"] = signed_urls.signed_url(str(request.base_url), f"/v1/bi/exports/{doc['_id']}/download",
                                                      res.settings.signing_secret, ACTION, doc["workspace_id"],
                                                      doc["_id"], URL_TTL_S)
        data["download_expires_in"] = URL_TTL_S
    return data


async def export_query(db: AsyncDatabase[Doc], workspace_id: str, body: ExportCreate) -> QueryRun:
    """The query an export runs: its own, or the one its dataset, metric or report stands for."""
    if body.query is not None:
        return body.query
    if body.dataset_id or body.metric_id:
        return QueryRun(dataset_id=body.dataset_id, metric_id=body.metric_id)
    report = await db[BI_REPORT.collection].find_one({"_id": body.report_id, "workspace_id": workspace_id,
                                                      "archived": False})
    if report is None:
        raise ApiError("NOT_FOUND", "The report could not be found.", {"id": body.report_id})
    if not report.get("dataset_id"):
        raise ApiError("VALIDATION_ERROR", "This report shows metrics only; export each metric (metric_id).",
                       {"pointer": "/report_id"})
    return QueryRun.model_validate({**(report.get("query") or {}), "dataset_id": report["dataset_id"]})


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else str(value)


def to_csv(result: Result) -> bytes:
    """RFC 4180 CSV: a header of the result's columns, then one line per row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(result.columns)
    writer.writerows([_cell(row.get(c)) for c in result.columns] for row in result.rows)
    return out.getvalue().encode()


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _generate(res: Resources, workspace_id: str, export_id: str, query: QueryRun) -> tuple[str, Doc]:
    """Compute and store the CSV; the command that records the outcome, with its facts."""
    # Every row, unless the caller's query set its own limit.
    limit = None if "limit" in query.model_fields_set else bi_plan.SCAN_LIMIT
    try:
        result = await bi_plan.run(res.service_db("crm"), workspace_id, query, limit)
        stored = await res.objects.put(workspace_id, export_id, _one_chunk(to_csv(result)), MAX_EXPORT_BYTES)
    except ApiError as exc:
        return "fail", {"error": {"code": exc.code, "message": exc.message}}
    except OSError:
        return "fail", {"error": {"code": "INTERNAL_ERROR", "message": "The CSV file could not be stored."}}
    return "complete", {"row_count": len(result.rows), "columns": result.columns, "byte_size": stored.byte_size,
                        "checksum_sha256": stored.checksum_sha256, "content_type": "text/csv"}


async def _record(request: Request, res: Resources, principal: Principal, export_id: str, verb: str,
                  data: Doc) -> Doc | None:
    cmd = CommandEnvelope(type=BI_EXPORT.command(verb), aggregate_id=export_id, workspace_id=principal.workspace_id,
                          actor=Actor(kind="api_key", id=principal.key_id), request_id=request_id_of(request),
                          correlation_id=request_id_of(request), data=data)
    dispatcher = Dispatcher(res)
    await dispatcher.publish(BI_EXPORT.commands_topic, cmd)
    result = await dispatcher.wait("crm", cmd, BI_EXPORT.collection, res.settings.command_timeout_s)
    return None if result is None else result.get("resource")


async def create(request: Request, res: Resources, principal: Principal, body: ExportCreate) -> Response:
    """Validate, create the export (pending), generate its CSV, record the outcome, answer the export."""
    db, workspace_id = res.service_db("crm"), principal.workspace_id
    query = await export_query(db, workspace_id, body)
    await bi_plan.plan(db, workspace_id, query)  # an invalid query creates nothing
    spec = WriteSpec("crm", BI_EXPORT.commands_topic, BI_EXPORT.command("create"), BI_EXPORT.collection,
                     BI_EXPORT.name, lambda doc: view(request, res, doc))
    answer = await execute_write(request, res, principal, spec, new_id(BI_EXPORT.prefix),
                                 body.model_dump(mode="json", exclude_none=True))
    if answer.status_code != 201 or answer.headers.get("Idempotent-Replayed"):
        return answer
    export_id = json.loads(bytes(answer.body))["data"]["id"]  # a resumed Idempotency-Key keeps its first id
    verb, facts = await _generate(res, workspace_id, export_id, query)
    doc = await _record(request, res, principal, export_id, verb, facts)
    doc = doc or await db[BI_EXPORT.collection].find_one({"_id": export_id})
    raw = dumps(ok_body(view(request, res, doc or {}), request_id_of(request)))
    key = request.headers.get("idempotency-key")
    if key is not None:  # a replay answers the finished export, not the pending one
        keys = idem.IdempotencyStore(res.gateway_db, res.settings.idempotency_ttl_s, res.settings.idempotency_stale_s)
        await keys.finish(workspace_id, key, 201, raw)
    return Response(raw, status_code=201, media_type="application/json")

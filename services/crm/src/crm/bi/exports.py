"""BI exports: the query an export runs, its CSV file in the crm's object store, and its signed, expiring
download URL.

Generating (the design chosen): the create is a command like any other (the gateway's write path: Idempotency-Key,
publish, wait), so an export is created `pending` (bi_export.created). The gateway then asks the crm to generate it,
a synchronous operation of the crm's internal API (`POST /internal/v1/bi/exports/{id}/generate`, see
crm.api.bi_exports), whose answer is the create's answer: the crm computes the rows, streams the CSV into a file of
its own (`<export>-<attempt>`), records the outcome through its own command executor (bi_export.complete with
row_count, byte_size, checksum_sha256 and the file, or bi_export.fail with the error) and answers the export as it
then reads. Generating is safe to repeat and the first outcome wins: the export's decision accepts an outcome only
while it is pending (crm.domain.bi), and every attempt writes its own file. A still-pending export is generated again
when its create is retried with the same Idempotency-Key (or replayed), and by the crm's sweeper (crm.bi.sweeper)
once it has been pending `bi_export_stale_s`. A reactor on bi_export.created was not chosen: the create's caller
waits for the finished export anyway, and one synchronous path serves the create, its retry and the sweeper.

Answers are never stored with their `download_url`: every answer signs a fresh one, under the public base URL the
gateway passes on (`base_url`), and the crm verifies it when the gateway forwards the download.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from crm.bi import plan as bi_plan
from crm.bi.compute import Result
from crm.bi.sync_tables import SyncTables
from crm_contracts.bi import BI_EXPORT, BI_REPORT, ExportCreate, QueryRun
from crm_contracts.bi_fields import SOURCE_SCOPES, sync_slug
from junction_common.envelope import Actor, CommandEnvelope
from junction_common.identity import Principal
from junction_common.ids import new_ulid
from junction_common.logconfig import get_logger
from junction_common.object_store import ObjectStore, signed_urls
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError
from junction_common.web.listing import present

Doc = dict[str, Any]
URL_TTL_S = 900
ACTION = "bi_export"
MAX_EXPORT_BYTES = 200 * 1024 * 1024
CSV_CHUNK_ROWS = 1000
SETTLE_TIMEOUT_S = 10.0  # how long an answer waits for the recorded outcome to be readable
_BODY_FIELDS = tuple(ExportCreate.model_fields)
log = get_logger("crm.bi.exports")


def view(doc: Doc, base_url: str, secret: str, principal: Principal | None = None) -> Doc:
    """The export as answered: a completed one carries a signed `download_url` valid for URL_TTL_S seconds,
    unless the caller may not read the export's source."""
    data = present(doc)
    scope = SOURCE_SCOPES.get(str(doc.get("source") or ""))
    readable = principal is None or scope is None or principal.has_scope(scope)
    if doc.get("status") == "completed" and readable:
        data["download_url"] = signed_urls.signed_url(base_url, f"/v1/bi/exports/{doc['_id']}/download", secret,
                                                      ACTION, doc["workspace_id"], doc["_id"], URL_TTL_S)
        data["download_expires_in"] = URL_TTL_S
    return data


def object_key(doc: Doc) -> str:
    """The file of a completed export (exports completed before attempts had files of their own: the id)."""
    return str(doc.get("object_key") or doc["_id"])


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


def _pointer(body: ExportCreate, missing: str) -> str:
    """The body field that names `missing` (or, for a metric's own dataset, the metric's field)."""
    named = [(f"/{name}", getattr(body, name)) for name in ("dataset_id", "metric_id", "report_id")]
    if body.query is not None:
        named += [(f"/query/{name}", getattr(body.query, name)) for name in ("dataset_id", "metric_id")]
    given = [(pointer, value) for pointer, value in named if value is not None]
    return next((pointer for pointer, value in given if value == missing), given[0][0] if given else "/")


async def check(db: AsyncDatabase[Doc], principal: Principal, body: ExportCreate,
                sync: SyncTables | None = None) -> None:
    """What a create must pass before anything is created: a query that fits, ids of this workspace (else a
    VALIDATION_ERROR at the field naming them, like every id in a request body), the source's read scope."""
    try:
        query = await export_query(db, principal.workspace_id, body)
        if sync_slug(query.source):  # before the sync service is asked for the table
            bi_plan.require_source_scope(principal, query.source)
        resolved = await bi_plan.plan(db, principal.workspace_id, query, sync)
    except ApiError as error:
        if error.code != "NOT_FOUND":
            raise
        missing = str((error.details or {}).get("id"))
        raise ApiError("VALIDATION_ERROR", "A linked resource does not exist in this workspace.",
                       {"pointer": _pointer(body, missing), "id": missing}) from None
    bi_plan.require_source_scope(principal, resolved.source or resolved.sync_source)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else str(value)


async def csv_chunks(result: Result) -> AsyncIterator[bytes]:
    """RFC 4180 CSV: a header of the result's columns, then one line per row; CSV_CHUNK_ROWS lines at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(result.columns)
    for i, row in enumerate(result.rows, 1):
        writer.writerow([_cell(row.get(c)) for c in result.columns])
        if i % CSV_CHUNK_ROWS == 0:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()


async def _generate(db: AsyncDatabase[Doc], objects: ObjectStore, doc: Doc,
                    sync: SyncTables | None = None) -> tuple[str, Doc]:
    """Compute and store the CSV; the command that records the outcome, with its facts. Never raises: any
    failure is the export's `failed` outcome."""
    workspace_id, key = doc["workspace_id"], f"{doc['_id']}-{new_ulid()}"
    try:
        body = ExportCreate.model_validate({k: doc[k] for k in _BODY_FIELDS if doc.get(k) is not None})
        query = await export_query(db, workspace_id, body)
        # Every row, unless the caller's query set its own limit.
        limit = None if "limit" in query.model_fields_set else bi_plan.SCAN_LIMIT
        resolved, result = await bi_plan.run_plan(db, workspace_id, query, limit, sync)
        stored = await objects.put(workspace_id, key, csv_chunks(result), MAX_EXPORT_BYTES)
    except ApiError as exc:
        return "fail", {"error": {"code": exc.code, "message": exc.message}}
    except OSError:
        log.exception("bi_export_not_stored", export_id=doc["_id"])
        return "fail", {"error": {"code": "INTERNAL_ERROR", "message": "The CSV file could not be stored."}}
    except Exception as exc:  # an export must end completed or failed, never stay pending
        log.exception("bi_export_failed", export_id=doc["_id"])
        return "fail", {"error": {"code": "INTERNAL_ERROR", "message": f"The export failed ({type(exc).__name__})."}}
    return "complete", {"row_count": len(result.rows), "columns": result.columns, "byte_size": stored.byte_size,
                        "checksum_sha256": stored.checksum_sha256, "content_type": "text/csv", "object_key": key,
                        **({"source": resolved.source or resolved.sync_source}
                           if resolved.source or resolved.sync_source else {})}


async def _record(runtime: ServiceRuntime, doc: Doc, actor: Actor, request_id: str, verb: str, data: Doc) -> None:
    """Decide and append the outcome here (the crm's own executor); a second outcome is refused, not an error."""
    cmd = CommandEnvelope(type=BI_EXPORT.command(verb), aggregate_id=doc["_id"], workspace_id=doc["workspace_id"],
                          actor=actor, request_id=request_id, correlation_id=request_id, data=data)
    await runtime.executor.execute(cmd, await runtime.spec.decider_for(cmd, runtime.db))


async def _settled(db: AsyncDatabase[Doc], export_id: str, timeout_s: float = SETTLE_TIMEOUT_S) -> Doc | None:
    """The export once its read model shows it is no longer pending (or as it reads after `timeout_s`)."""
    deadline = time.monotonic() + timeout_s
    while True:
        doc = await db[BI_EXPORT.collection].find_one({"_id": export_id})
        if doc is None or doc.get("status") != "pending" or time.monotonic() >= deadline:
            return doc
        await asyncio.sleep(0.05)


async def finish(runtime: ServiceRuntime, objects: ObjectStore, doc: Doc, actor: Actor, request_id: str,
                 sync: SyncTables | None = None) -> Doc:
    """Generate a pending export and record its outcome (a repeat is harmless); the export as it now reads."""
    if doc.get("status") != "pending":
        return doc
    verb, facts = await _generate(runtime.db, objects, doc, sync)
    await _record(runtime, doc, actor, request_id, verb, facts)
    return await _settled(runtime.db, doc["_id"]) or doc

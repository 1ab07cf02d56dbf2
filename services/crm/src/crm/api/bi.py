"""BI on the crm's internal API: query runs, the scope checks before a dataset or metric is created, and
scheduled artifacts as they read (the next run computed on read). Exports: crm.api.bi_exports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from crm.bi import plan as bi_plan
from crm.bi.sweeper import BiExports
from crm_contracts.bi import BI_DATASET, BI_SCHEDULED_ARTIFACT, DatasetCreate, MetricCreate, QueryRun, next_run_at
from junction_common.envelope import utcnow
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of
from junction_common.web.listing import list_page, present
from junction_common.web.reads import Caller, Reads

PREFIX = "/internal/v1/bi"
Doc = dict[str, Any]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=512)]


def schedule_view(doc: Doc) -> Doc:
    """A schedule's `next_run_at` never lies in the past: once passed, the next firing after now is shown."""
    data = present(doc)
    stored, cron = doc.get("next_run_at"), doc.get("cron")
    now = utcnow()
    if cron and (not stored or datetime.fromisoformat(str(stored)) <= now):
        data["next_run_at"] = next_run_at(str(cron), str(doc.get("timezone") or "UTC"), now).isoformat()
    return data


def _allowed(request: Request) -> Response:
    return json_response(ok_body({"allowed": True}, request_id_of(request)))


def router(runtime: ServiceRuntime) -> APIRouter:
    reads, api = Reads.of(runtime), APIRouter(prefix=PREFIX)

    @api.post("/queries/run")
    async def run_query(body: QueryRun, request: Request, principal: Caller) -> Response:
        """Compute the query over the caller's workspace (a CRM source needs its read scope too; a sync table's
        rows come from the sync service)."""
        data = await bi_plan.run_described(reads.db, principal, body, runtime.component(BiExports).sync)
        return json_response(ok_body(data, request_id_of(request)))

    @api.post("/datasets/check")
    async def check_dataset(body: DatasetCreate, request: Request, principal: Caller) -> Response:
        """A dataset over a CRM source needs that source's read scope."""
        bi_plan.require_source_scope(principal, body.source)
        return _allowed(request)

    @api.post("/metrics/check")
    async def check_metric(body: MetricCreate, request: Request, principal: Caller) -> Response:
        """A metric needs the read scope of its dataset's CRM source (a missing dataset is the create's to refuse)."""
        dataset = await reads.db[BI_DATASET.collection].find_one(
            {"_id": body.dataset_id, "workspace_id": principal.workspace_id})
        bi_plan.require_source_scope(principal, (dataset or {}).get("source"))
        return _allowed(request)

    @api.get("/scheduled-artifacts")
    async def list_schedules(request: Request, principal: Caller, limit: Limit = 25,
                             cursor: Cursor = None) -> Response:
        """Scheduled artifacts newest first, each with the next time its cron fires."""
        coll = reads.db[BI_SCHEDULED_ARTIFACT.collection]
        return await list_page(request, coll, principal, reads.cursor_secret, {"archived": False}, limit, cursor,
                               schedule_view)

    @api.get("/scheduled-artifacts/{schedule_id}")
    async def get_schedule(schedule_id: Annotated[str, Path(max_length=64)], request: Request,
                           principal: Caller) -> Response:
        """The schedule as a write's answer shows it (its next run)."""
        doc = await reads.db[BI_SCHEDULED_ARTIFACT.collection].find_one(
            {"_id": schedule_id, "workspace_id": principal.workspace_id})
        if doc is None:
            raise ApiError("NOT_FOUND", "The scheduled artifact could not be found.")
        return json_response(ok_body(schedule_view(doc), request_id_of(request)))

    return api

"""BI routes written by hand: queries/run, exports (CSV with signed downloads), scheduled artifacts (next run on
read), dataset and metric creation (they need the read scope of their CRM source), and the metadata PATCH /
archiving DELETE of any BI object. The other routes of datasets, metrics, reports and dashboards are routed from
their declarations (crm_contracts.bi)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from crm_contracts.bi import (
    BI_COLLECTIONS,
    BI_DATASET,
    BI_EXPORT,
    BI_METRIC,
    BI_SCHEDULED_ARTIFACT,
    TAG,
    BiObjectUpdate,
    DatasetCreate,
    ExportCreate,
    MetricCreate,
    QueryRun,
    ScheduledArtifactCreate,
    next_run_at,
)
from gateway import bi_exports, bi_plan
from gateway.auth import require_scope
from gateway.context import request_id_of
from gateway.deps import Resources, ResourcesDep
from gateway.error_docs import ERROR_RESPONSES
from gateway.object_store import signed_urls
from gateway.writes import WriteSpec, execute_write
from junction_common.contracts.resources import ResourceContract
from junction_common.envelope import utcnow
from junction_common.identity import Principal
from junction_common.ids import new_id
from junction_common.web.envelope import ApiError, json_response, ok_body
from junction_common.web.listing import list_page, present

router = APIRouter(prefix="/v1/bi", tags=[TAG], responses=ERROR_RESPONSES)
Writer = Annotated[Principal, Depends(require_scope("bi:write"))]
Reader = Annotated[Principal, Depends(require_scope("bi:read"))]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=512)]
ObjectId = Annotated[str, Path(alias="id", max_length=64, pattern=r"^[a-z]+_[A-Za-z0-9]+$")]
Doc = dict[str, Any]
ACCEPTED: dict[int | str, dict[str, Any]] = {202: {"description": "Accepted; poll GET /v1/operations/{operation_id}."}}


def _schedule_view(doc: Doc) -> Doc:
    """A schedule's `next_run_at` never lies in the past: once passed, the next firing after now is shown."""
    data = present(doc)
    stored, cron = doc.get("next_run_at"), doc.get("cron")
    now = utcnow()
    if cron and (not stored or datetime.fromisoformat(str(stored)) <= now):
        data["next_run_at"] = next_run_at(str(cron), str(doc.get("timezone") or "UTC"), now).isoformat()
    return data


def _shape(request: Request, res: Resources, contract: ResourceContract, principal: Principal) -> Any:
    if contract is BI_EXPORT:
        return lambda doc: bi_exports.view(request, res, doc, principal)
    return _schedule_view if contract is BI_SCHEDULED_ARTIFACT else present


@router.post("/queries/run", operation_id="runBiQuery")
async def run_query(body: QueryRun, request: Request, res: ResourcesDep, principal: Writer) -> Response:
    """Compute a query over a CRM source, a saved dataset or a saved metric of this workspace: filters, then
    group_by with count/sum/avg/min/max (or plain rows), then order_by and limit."""
    data = await bi_plan.run_described(res.service_db("crm"), principal, body)
    return json_response(ok_body(data, request_id_of(request)))


async def _create(request: Request, res: Resources, principal: Principal, c: ResourceContract, data: Doc) -> Response:
    spec = WriteSpec(c.service, c.commands_topic, c.command("create"), c.collection, c.name, present)
    return await execute_write(request, res, principal, spec, new_id(c.prefix), data)


@router.post("/datasets", operation_id="createBiDataset", status_code=201, responses=ACCEPTED)
async def create_dataset(body: DatasetCreate, request: Request, res: ResourcesDep, principal: Writer) -> Response:
    """Save a dataset over a CRM source (the key needs that source's read scope too) or of inline rows."""
    bi_plan.require_source_scope(principal, body.source)
    return await _create(request, res, principal, BI_DATASET, body.model_dump(exclude_none=True))


@router.post("/metrics", operation_id="createBiMetric", status_code=201, responses=ACCEPTED)
async def create_metric(body: MetricCreate, request: Request, res: ResourcesDep, principal: Writer) -> Response:
    """Save a metric over a dataset of this workspace (the key needs the read scope of its CRM source too)."""
    dataset = await res.service_db("crm")[BI_DATASET.collection].find_one(
        {"_id": body.dataset_id, "workspace_id": principal.workspace_id})
    bi_plan.require_source_scope(principal, (dataset or {}).get("source"))
    return await _create(request, res, principal, BI_METRIC, body.model_dump(exclude_none=True))


@router.get("/exports", operation_id="listBiExports")
async def list_exports(request: Request, res: ResourcesDep, principal: Reader, limit: Limit = 25,
                       cursor: Cursor = None) -> Response:
    """Exports newest first with their status; completed ones carry a signed, expiring download URL."""
    coll = res.service_db("crm")[BI_EXPORT.collection]
    return await list_page(request, coll, principal, res.settings.signing_secret, {"archived": False}, limit,
                           cursor, _shape(request, res, BI_EXPORT, principal))


@router.post("/exports", operation_id="createBiExport", status_code=201)
async def create_export(body: ExportCreate, request: Request, res: ResourcesDep, principal: Writer) -> Response:
    """Export a dataset, metric, report or ad-hoc query as a CSV file; answered completed with a signed,
    expiring `download_url` (or failed with its error)."""
    return await bi_exports.create(request, res, principal, body)


@router.get("/exports/{export_id}/download", include_in_schema=False)
async def download_export(export_id: Annotated[str, Path(max_length=64, pattern=r"^exp_[A-Za-z0-9]+$")],
                          res: ResourcesDep, ws: Annotated[str, Query()], expires: Annotated[int, Query()],
                          sig: Annotated[str, Query()]) -> Response:
    signed_urls.verify(res.settings.signing_secret, bi_exports.ACTION, ws, export_id, expires, sig)
    doc = await res.service_db("crm")[BI_EXPORT.collection].find_one({"_id": export_id, "workspace_id": ws})
    if doc is None or doc.get("status") != "completed":
        raise ApiError("NOT_FOUND", "The export is not available.")
    return await res.objects.response(ws, bi_exports.object_key(doc), "text/csv",
                                      f"{doc.get('name') or export_id}.csv")


@router.get("/scheduled-artifacts", operation_id="listBiScheduledArtifacts")
async def list_schedules(request: Request, res: ResourcesDep, principal: Reader, limit: Limit = 25,
                         cursor: Cursor = None) -> Response:
    """Scheduled artifacts newest first, each with the next time its cron fires."""
    coll = res.service_db("crm")[BI_SCHEDULED_ARTIFACT.collection]
    return await list_page(request, coll, principal, res.settings.signing_secret, {"archived": False}, limit,
                           cursor, _schedule_view)


@router.post("/scheduled-artifacts", operation_id="createBiScheduledArtifact", status_code=201)
async def create_schedule(body: ScheduledArtifactCreate, request: Request, res: ResourcesDep,
                          principal: Writer) -> Response:
    """Schedule a dataset, metric, report or dashboard on a five-field cron in a time zone (default UTC);
    the artifact must exist; `next_run_at` is computed."""
    c = BI_SCHEDULED_ARTIFACT
    spec = WriteSpec("crm", c.commands_topic, c.command("create"), c.collection, c.name, _schedule_view)
    return await execute_write(request, res, principal, spec, new_id(c.prefix), body.model_dump(exclude_none=True))


def _contract(collection: str, object_id: str) -> ResourceContract:
    """The BI object kind `collection` names; an unknown collection, or an id of another kind, is NOT_FOUND."""
    contract = BI_COLLECTIONS.get(collection)
    if contract is None or not object_id.startswith(contract.prefix + "_"):
        raise ApiError("NOT_FOUND", "The BI object could not be found.", {"collection": collection})
    return contract


@router.patch("/{collection}/{id}", operation_id="updateBiObject")
async def update_object(collection: Annotated[str, Path(max_length=64)], object_id: ObjectId, body: BiObjectUpdate,
                        request: Request, res: ResourcesDep, principal: Writer) -> Response:
    """Change a BI object's name, description or status (`archived` archives it); a schedule's cron and time
    zone too. Another workspace's object is NOT_FOUND."""
    c = _contract(collection, object_id)
    spec = WriteSpec("crm", c.commands_topic, c.command("update"), c.collection, c.name,
                     _shape(request, res, c, principal), 200)
    return await execute_write(request, res, principal, spec, object_id, body.model_dump(exclude_unset=True),
                               new_resource=False)


@router.delete("/{collection}/{id}", operation_id="archiveBiObject")
async def archive_object(collection: Annotated[str, Path(max_length=64)], object_id: ObjectId, request: Request,
                         res: ResourcesDep, principal: Writer) -> Response:
    """Archive a BI object (status `archived`; no longer listed unless asked for by status)."""
    c = _contract(collection, object_id)
    spec = WriteSpec("crm", c.commands_topic, c.command("archive"), c.collection, c.name,
                     _shape(request, res, c, principal), 200)
    return await execute_write(request, res, principal, spec, object_id, {}, new_resource=False)

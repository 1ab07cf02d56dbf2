"""BI routes written by hand: queries/run, exports (CSV with signed downloads), scheduled artifacts (next run on
read), dataset and metric creation (they need the read scope of their CRM source), and the metadata PATCH /
archiving DELETE of any BI object. The other routes of datasets, metrics, reports and dashboards are routed from
their declarations (crm_contracts.bi).

The crm answers every read and check (`/internal` + a path); writes go the usual way (gateway.writes), and an export
or a schedule written is then answered as the crm reads it (an export generated, with a fresh signed download URL;
a schedule with its next run). Download URLs are signed under this gateway's public base URL, which the crm is
told in the query (`base_url`); the gateway serves the download by forwarding it to the crm.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

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
)
from gateway.auth import require_scope
from gateway.availability import unavailable
from gateway.deps import Resources, ResourcesDep
from gateway.error_docs import ERROR_RESPONSES
from gateway.forwarding import INTERNAL_PREFIX, forward
from gateway.writes import WriteSpec, execute_write
from junction_common.contracts.resources import ResourceContract
from junction_common.identity import Principal
from junction_common.ids import new_id
from junction_common.web.envelope import ApiError, request_id_of
from junction_common.web.listing import present

router = APIRouter(prefix="/v1/bi", tags=[TAG], responses=ERROR_RESPONSES)
Writer = Annotated[Principal, Depends(require_scope("bi:write"))]
Reader = Annotated[Principal, Depends(require_scope("bi:read"))]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=512)]
ObjectId = Annotated[str, Path(alias="id", max_length=64, pattern=r"^[a-z]+_[A-Za-z0-9]+$")]
ACCEPTED: dict[int | str, dict[str, Any]] = {202: {"description": "Accepted; poll GET /v1/operations/{operation_id}."}}
# Answered as the crm reads them after a write (an export's signed URL, a schedule's next run).
_SHOWN_BY_CRM = frozenset({BI_EXPORT.name, BI_SCHEDULED_ARTIFACT.name})


async def _crm(request: Request, res: Resources, principal: Principal | None, path: str, method: str | None = None,
               body: bytes | None = None) -> Response:
    """The crm's answer at `/internal` + `path`, told this gateway's public base URL (`base_url`)."""
    query = "&".join(q for q in (request.url.query, urlencode({"base_url": str(request.base_url)})) if q)
    payload = await request.body() if body is None else body
    # A download is called for nobody (its signed URL is the credential): the internal signature then names none.
    relayed = await res.services().relay(method or request.method, "crm", INTERNAL_PREFIX + path,
                                         request_id_of(request), principal,
                                         query, payload, request.headers.get("content-type"),
                                         res.settings.forward_timeout_s)
    if relayed is None:
        raise unavailable("The crm service", res.settings.unavailable_retry_after_s)
    return Response(relayed.body, status_code=relayed.status, headers=relayed.headers)


async def _as_read(request: Request, res: Resources, principal: Principal, c: ResourceContract,
                   answer: Response) -> Response:
    """A write's answer showing its resource as the crm reads it now (same status, Idempotent-Replayed kept)."""
    if answer.status_code not in (200, 201) or c.name not in _SHOWN_BY_CRM:
        return answer
    resource_id = json.loads(bytes(answer.body))["data"]["id"]
    shown = await _crm(request, res, principal, f"{c.path}/{resource_id}", "GET", b"")
    if shown.status_code == 200:
        shown.status_code = answer.status_code
    if answer.headers.get("Idempotent-Replayed"):
        shown.headers["Idempotent-Replayed"] = "true"
    return shown


async def _create(request: Request, res: Resources, principal: Principal, c: ResourceContract, data: Any,
                  check: str | None = None) -> Response:
    """Create after the crm's check at `check` (a refused check creates nothing)."""
    if check is not None:
        checked = await forward(request, res, principal, "crm", path=check)
        if checked.status_code != 200:
            return checked
    spec = WriteSpec(c.service, c.commands_topic, c.command("create"), c.collection, c.name, present)
    return await execute_write(request, res, principal, spec, new_id(c.prefix), data)


@router.post("/queries/run", operation_id="runBiQuery")
async def run_query(body: QueryRun, request: Request, res: ResourcesDep, principal: Writer) -> Response:
    """Compute a query over a CRM source, a saved dataset or a saved metric of this workspace: filters, then
    group_by with count/sum/avg/min/max (or plain rows), then order_by and limit."""
    return await forward(request, res, principal, "crm")


@router.post("/datasets", operation_id="createBiDataset", status_code=201, responses=ACCEPTED)
async def create_dataset(body: DatasetCreate, request: Request, res: ResourcesDep, principal: Writer) -> Response:
    """Save a dataset over a CRM source (the key needs that source's read scope too) or of inline rows."""
    return await _create(request, res, principal, BI_DATASET, body.model_dump(exclude_none=True),
                         "/v1/bi/datasets/check")


@router.post("/metrics", operation_id="createBiMetric", status_code=201, responses=ACCEPTED)
async def create_metric(body: MetricCreate, request: Request, res: ResourcesDep, principal: Writer) -> Response:
    """Save a metric over a dataset of this workspace (the key needs the read scope of its CRM source too)."""
    return await _create(request, res, principal, BI_METRIC, body.model_dump(exclude_none=True),
                         "/v1/bi/metrics/check")


@router.get("/exports", operation_id="listBiExports")
async def list_exports(request: Request, res: ResourcesDep, principal: Reader, limit: Limit = 25,
                       cursor: Cursor = None) -> Response:
    """Exports newest first with their status; completed ones carry a signed, expiring download URL."""
    return await _crm(request, res, principal, request.url.path)


@router.post("/exports", operation_id="createBiExport", status_code=201)
async def create_export(body: ExportCreate, request: Request, res: ResourcesDep, principal: Writer) -> Response:
    """Export a dataset, metric, report or ad-hoc query as a CSV file; answered completed with a signed,
    expiring `download_url` (or failed with its error). A replay of the same Idempotency-Key answers the export
    as it reads now (generating it if still pending)."""
    answer = await _create(request, res, principal, BI_EXPORT, body.model_dump(mode="json", exclude_none=True),
                           "/v1/bi/exports/check")
    if answer.status_code != 201:
        return answer
    export_id = json.loads(bytes(answer.body))["data"]["id"]  # a resumed Idempotency-Key keeps its first id
    generated = await _crm(request, res, principal, f"/v1/bi/exports/{export_id}/generate", "POST", b"")
    if answer.headers.get("Idempotent-Replayed"):
        generated.headers["Idempotent-Replayed"] = "true"
    return generated


@router.get("/exports/{export_id}/download", include_in_schema=False)
async def download_export(export_id: Annotated[str, Path(max_length=64, pattern=r"^exp_[A-Za-z0-9]+$")],
                          request: Request, res: ResourcesDep, ws: Annotated[str, Query()],
                          expires: Annotated[int, Query()], sig: Annotated[str, Query()]) -> Response:
    return await _crm(request, res, None, request.url.path)


@router.get("/scheduled-artifacts", operation_id="listBiScheduledArtifacts")
async def list_schedules(request: Request, res: ResourcesDep, principal: Reader, limit: Limit = 25,
                         cursor: Cursor = None) -> Response:
    """Scheduled artifacts newest first, each with the next time its cron fires."""
    return await forward(request, res, principal, "crm")


@router.post("/scheduled-artifacts", operation_id="createBiScheduledArtifact", status_code=201)
async def create_schedule(body: ScheduledArtifactCreate, request: Request, res: ResourcesDep,
                          principal: Writer) -> Response:
    """Schedule a dataset, metric, report or dashboard on a five-field cron in a time zone (default UTC);
    the artifact must exist; `next_run_at` is computed."""
    c = BI_SCHEDULED_ARTIFACT
    answer = await _create(request, res, principal, c, body.model_dump(exclude_none=True))
    return await _as_read(request, res, principal, c, answer)


def _contract(collection: str, object_id: str) -> ResourceContract:
    """The BI object kind `collection` names; an unknown collection, or an id of another kind, is NOT_FOUND."""
    contract = BI_COLLECTIONS.get(collection)
    if contract is None or not object_id.startswith(contract.prefix + "_"):
        raise ApiError("NOT_FOUND", "The BI object could not be found.", {"collection": collection})
    return contract


async def _change(request: Request, res: Resources, principal: Principal, collection: str, object_id: str,
                  verb: str, data: dict[str, Any]) -> Response:
    c = _contract(collection, object_id)
    spec = WriteSpec("crm", c.commands_topic, c.command(verb), c.collection, c.name, present, 200)
    answer = await execute_write(request, res, principal, spec, object_id, data, new_resource=False)
    return await _as_read(request, res, principal, c, answer)


@router.patch("/{collection}/{id}", operation_id="updateBiObject")
async def update_object(collection: Annotated[str, Path(max_length=64)], object_id: ObjectId, body: BiObjectUpdate,
                        request: Request, res: ResourcesDep, principal: Writer) -> Response:
    """Change a BI object's name, description or status (`archived` archives it); a schedule's cron and time
    zone too. Another workspace's object is NOT_FOUND."""
    return await _change(request, res, principal, collection, object_id, "update", body.model_dump(exclude_unset=True))


@router.delete("/{collection}/{id}", operation_id="archiveBiObject")
async def archive_object(collection: Annotated[str, Path(max_length=64)], object_id: ObjectId, request: Request,
                         res: ResourcesDep, principal: Writer) -> Response:
    """Archive a BI object (status `archived`; no longer listed unless asked for by status)."""
    return await _change(request, res, principal, collection, object_id, "archive", {})

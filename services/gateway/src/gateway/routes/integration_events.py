"""The event-type registry (workspace-api.txt `/integrations/events`) and integration event monitoring
(integrations-api.txt `/v1/integrations/events/filter`, detail, retry, cancel).

Built-in event types come from the catalogue every service declares (`webhooks_contracts.catalogue`);
a workspace registers its own beside them. Integration events are, for now, outbound webhook deliveries
(connections and sync will add theirs through the same view).
"""

from __future__ import annotations

import hashlib
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from gateway.auth import require_scope
from gateway.context import request_id_of
from gateway.deps import ResourcesDep
from gateway.error_docs import ERROR_RESPONSES
from gateway.webhook_views import OPEN, integration_event_view
from gateway.writes import WriteSpec, execute_write
from junction_common.identity import Principal
from junction_common.web.cursors import decode_cursor, encode_cursor
from junction_common.web.envelope import ApiError, json_response, ok_body
from webhooks_contracts import declarations as wh
from webhooks_contracts.catalogue import event_catalogue

router = APIRouter(prefix="/v1/integrations", tags=["Integrations"], responses=ERROR_RESPONSES)
ReadP = Annotated[Principal, Depends(require_scope("integrations:read"))]
WriteP = Annotated[Principal, Depends(require_scope("integrations:write"))]
EventId = Annotated[str, Path(max_length=64, pattern=r"^whd_[A-Za-z0-9]+$")]


def _type_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["id"], "key": doc["key"], "category": doc["category"], "description": doc.get("description"),
            "custom": True, "created_at": doc.get("created_at")}


REGISTER = WriteSpec(wh.SERVICE, wh.COMMANDS, wh.REGISTER_EVENT_TYPE, wh.EVENT_TYPES, "integration_event_type",
                     _type_view, 201)
RETRY = WriteSpec(wh.SERVICE, wh.COMMANDS, wh.RETRY_EVENT, wh.DELIVERIES, "integration_event",
                  integration_event_view, 200)
CANCEL = WriteSpec(wh.SERVICE, wh.COMMANDS, wh.CANCEL_EVENT, wh.DELIVERIES, "integration_event",
                   integration_event_view, 200)


class EventTypeRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "key": "external.publish.completed", "category": "publishing",
        "description": "External publishing workflow completed."}]})

    key: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$", max_length=128)
    category: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    description: str = Field(default="", max_length=500)


class EventFilter(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, json_schema_extra={"examples": [{
        "integrationId": "integration-id", "status": "failed", "from": "2025-01-01T00:00:00Z",
        "to": "2025-01-31T23:59:59Z", "page": 1, "limit": 50}]})

    integration_id: str | None = Field(default=None, alias="integrationId", max_length=64)
    status: Literal["queued", "processing", "succeeded", "failed", "cancelled"] | None = None
    event_type: str | None = Field(default=None, alias="eventType", max_length=128)
    start: AwareDatetime | None = Field(default=None, alias="from")
    end: AwareDatetime | None = Field(default=None, alias="to")
    page: int = Field(default=1, ge=1, le=100000)
    limit: int = Field(default=50, ge=1, le=200)


@router.get("/events", operation_id="listIntegrationEventTypes")
async def list_event_types(
    request: Request, res: ResourcesDep, principal: ReadP,
    query: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100, cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """Built-in types then the workspace's own, by key; `query` matches every term in key or description."""
    custom = await res.service_db(wh.SERVICE)[wh.EVENT_TYPES].find({"workspace_id": principal.workspace_id}) \
        .to_list()
    types = [{"key": t.key, "category": t.category, "description": t.description, "custom": False}
             for t in event_catalogue()] + [_type_view(d) for d in custom]
    terms = (query or "").lower().split()
    found = sorted((t for t in types if (category is None or t["category"] == category)
                    and all(term in f"{t['key']} {t['description'] or ''}".lower() for term in terms)),
                   key=lambda t: t["key"])
    after = ""
    if cursor:
        position = decode_cursor(cursor, res.settings.signing_secret)
        after = str(position.get("after", "")) if position.get("ws") == principal.workspace_id else ""
    page = [t for t in found if t["key"] > after][:limit + 1]
    more = len(page) > limit
    page = page[:limit]
    next_cursor = encode_cursor({"after": page[-1]["key"], "ws": principal.workspace_id},
                                res.settings.signing_secret) if more else None
    return json_response(ok_body(page, request_id_of(request), next_cursor=next_cursor))


@router.post("/events", operation_id="registerIntegrationEventType", status_code=201)
async def register_event_type(
    body: EventTypeRegistration, request: Request, res: ResourcesDep, principal: WriteP,
) -> Response:
    # One stream per (workspace, key): two registrations of a key meet in one aggregate, so the second is
    # refused there even when they race (a uniqueness check on the read model could miss it).
    digest = hashlib.sha256(f"{principal.workspace_id}|{body.key}".encode()).hexdigest()[:26]
    return await execute_write(request, res, principal, REGISTER, f"{wh.EVENT_TYPE_PREFIX}_{digest}",
                               body.model_dump(), new_resource=False)


@router.post("/events/filter", operation_id="filterIntegrationEvents")
async def filter_events(body: EventFilter, request: Request, res: ResourcesDep, principal: ReadP) -> Response:
    filt: dict[str, Any] = {"workspace_id": principal.workspace_id}
    if body.integration_id:
        filt["webhook_id"] = body.integration_id
    if body.event_type:
        filt["event_type"] = body.event_type
    now = time.time()
    if body.status == "queued":
        filt.update(status={"$in": list(OPEN)}, lease_until={"$lte": now})
    elif body.status == "processing":
        filt.update(status={"$in": list(OPEN)}, lease_until={"$gt": now})
    elif body.status:
        filt["status"] = body.status
    window: dict[str, float] = {}
    if body.start:
        window["$gte"] = body.start.timestamp()
    if body.end:
        window["$lte"] = body.end.timestamp()
    if window:
        filt["created_ts"] = window
    coll = res.service_db(wh.SERVICE)[wh.DELIVERIES]
    total = await coll.count_documents(filt)
    docs = await coll.find(filt).sort("_id", -1).skip((body.page - 1) * body.limit).limit(body.limit).to_list()
    return json_response(ok_body([integration_event_view(d) for d in docs], request_id_of(request),
                                 meta={"page": body.page, "limit": body.limit, "total": total}))


@router.get("/events/{eventId}", operation_id="getIntegrationEvent")
async def get_event(eventId: EventId, request: Request, res: ResourcesDep, principal: ReadP) -> Response:
    doc = await res.service_db(wh.SERVICE)[wh.DELIVERIES].find_one(
        {"_id": eventId, "workspace_id": principal.workspace_id})
    if doc is None:
        raise ApiError("NOT_FOUND", "The integration event could not be found.")
    return json_response(ok_body(integration_event_view(doc, detail=True), request_id_of(request)))


@router.post("/events/{eventId}/retry", operation_id="retryIntegrationEvent")
async def retry_event(eventId: EventId, request: Request, res: ResourcesDep, principal: WriteP) -> Response:
    """A new event linked to the original (`retryOf`), queued at once."""
    return await execute_write(request, res, principal, RETRY, eventId, {}, new_resource=False)


@router.post("/events/{eventId}/cancel", operation_id="cancelIntegrationEvent")
async def cancel_event(eventId: EventId, request: Request, res: ResourcesDep, principal: WriteP) -> Response:
    return await execute_write(request, res, principal, CANCEL, eventId, {}, new_resource=False)

"""validateAnalyticsEvent: check a payload against the workspace's event and property definitions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from crm_contracts.analytics import EventPayload, validate_payload
from gateway.auth import require_scope
from gateway.context import request_id_of
from gateway.deps import ResourcesDep
from gateway.error_docs import ERROR_RESPONSES
from junction_common.identity import Principal
from junction_common.web.envelope import json_response, ok_body

router = APIRouter(prefix="/v1", tags=["Analytics Governance"], responses=ERROR_RESPONSES)


@router.post("/analytics/events/validate", operation_id="validateAnalyticsEvent")
async def validate_event(body: EventPayload, request: Request, res: ResourcesDep,
                         principal: Annotated[Principal, Depends(require_scope("analytics:read"))]) -> Response:
    """Report every missing required property, unknown property and type mismatch (a read: nothing changes)."""
    db = res.service_db("crm")
    scope = {"workspace_id": principal.workspace_id, "archived": False}
    event = await db["analytics_events"].find_one({**scope, "name": body.name})
    properties = {p["key"]: p async for p in db["analytics_properties"].find(scope)}
    errors = validate_payload(event, properties, body)
    data = {"valid": not errors, "errors": errors, "request_id": request_id_of(request)}
    return json_response(ok_body(data, request_id_of(request)))

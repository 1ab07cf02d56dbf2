"""validateAnalyticsEvent: the crm checks a payload against the workspace's event and property definitions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from crm_contracts.analytics import EventPayload
from gateway.auth import require_scope
from gateway.deps import ResourcesDep
from gateway.error_docs import ERROR_RESPONSES
from gateway.forwarding import forward
from junction_common.identity import Principal

router = APIRouter(prefix="/v1", tags=["Analytics Governance"], responses=ERROR_RESPONSES)


@router.post("/analytics/events/validate", operation_id="validateAnalyticsEvent")
async def validate_event(body: EventPayload, request: Request, res: ResourcesDep,
                         principal: Annotated[Principal, Depends(require_scope("analytics:read"))]) -> Response:
    """Report every missing required property, unknown property and type mismatch (a read: nothing changes)."""
    return await forward(request, res, principal, "crm")

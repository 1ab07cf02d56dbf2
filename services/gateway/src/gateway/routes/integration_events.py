"""The event-type registry (workspace-api.txt `/integrations/events`) and integration event monitoring
(integrations-api.txt `/v1/integrations/events/filter`, detail, retry, cancel).

Built-in event types come from the catalogue every service declares (`webhooks_contracts.catalogue`);
a workspace registers its own beside them. Integration events are, for now, outbound webhook deliveries
(connections and sync will add theirs through the same view).
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from gateway.auth import require_scope
from gateway.deps import ResourcesDep
from gateway.error_docs import ERROR_RESPONSES
from gateway.forwarding import forward
from gateway.parents import parent_in_workspace, readable_at
from gateway.routes.webhooks import as_presented
from gateway.writes import WriteSpec, execute_write
from junction_common.identity import Principal
from webhooks_contracts import declarations as wh
from webhooks_contracts.integration_events import EventFilter, EventTypeRegistration

router = APIRouter(prefix="/v1/integrations", tags=["Integrations"], responses=ERROR_RESPONSES)
READ, WRITE = require_scope("integrations:read"), require_scope("integrations:write")
ReadP = Annotated[Principal, Depends(READ)]
WriteP = Annotated[Principal, Depends(WRITE)]
EventId = Annotated[str, Path(max_length=64, pattern=r"^whd_[A-Za-z0-9]+$")]
# Retrying or cancelling another workspace's (or no) event is NOT_FOUND before anything else.
OWN_EVENT = [parent_in_workspace("eventId", "integration event", WRITE,
                                 readable_at(wh.SERVICE, "/v1/integrations/events/{id}"))]

REGISTER = WriteSpec(wh.SERVICE, wh.COMMANDS, wh.REGISTER_EVENT_TYPE, wh.EVENT_TYPES, "integration_event_type",
                     as_presented, 201)
# A delivery answered as an integration event: the webhooks service presents it in that view.
RETRY = WriteSpec(wh.SERVICE, wh.COMMANDS, wh.RETRY_EVENT, wh.DELIVERIES, "integration_event", as_presented, 200,
                  wh.EVENT_VIEW)
CANCEL = WriteSpec(wh.SERVICE, wh.COMMANDS, wh.CANCEL_EVENT, wh.DELIVERIES, "integration_event", as_presented, 200,
                   wh.EVENT_VIEW)




@router.get("/events", operation_id="listIntegrationEventTypes")
async def list_event_types(
    request: Request, res: ResourcesDep, principal: ReadP,
    query: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100, cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """Built-in types then the workspace's own, by key; `query` matches every term in key or description."""
    return await forward(request, res, principal, wh.SERVICE)


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
    """The workspace's integration events, newest first, a numbered page at a time."""
    return await forward(request, res, principal, wh.SERVICE)


@router.get("/events/{eventId}", operation_id="getIntegrationEvent")
async def get_event(eventId: EventId, request: Request, res: ResourcesDep, principal: ReadP) -> Response:
    """One integration event with its logs (signatures redacted) and payload."""
    return await forward(request, res, principal, wh.SERVICE)


@router.post("/events/{eventId}/retry", operation_id="retryIntegrationEvent", dependencies=OWN_EVENT)
async def retry_event(eventId: EventId, request: Request, res: ResourcesDep, principal: WriteP) -> Response:
    """A new event linked to the original (`retryOf`), queued at once."""
    return await execute_write(request, res, principal, RETRY, eventId, {}, new_resource=False)


@router.post("/events/{eventId}/cancel", operation_id="cancelIntegrationEvent", dependencies=OWN_EVENT)
async def cancel_event(eventId: EventId, request: Request, res: ResourcesDep, principal: WriteP) -> Response:
    """A queued event is never sent; cancelling it again gives the same answer."""
    return await execute_write(request, res, principal, CANCEL, eventId, {}, new_resource=False)

"""The event-type registry (built-in types then the workspace's own) and integration event monitoring: the
filter and one event with its logs. Integration events are, for now, outbound webhook deliveries.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from junction_common.service import ServiceRuntime
from junction_common.web.cursors import decode_cursor, encode_cursor
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of
from webhooks.api.reads import PREFIX, Caller, Reads
from webhooks.api.views import OPEN, integration_event_view, type_view
from webhooks_contracts import declarations as wh
from webhooks_contracts.catalogue import event_catalogue
from webhooks_contracts.integration_events import EventFilter

Doc = dict[str, Any]
EventId = Annotated[str, Path(max_length=64, pattern=r"^whd_[A-Za-z0-9]+$")]



def matching_types(custom: list[Doc], query: str | None, category: str | None) -> list[Doc]:
    """Built-in and custom types of `category` whose key or description holds every term, by key."""
    types = [{"key": t.key, "category": t.category, "description": t.description, "custom": False,
              "schema_version": t.schema_version, "schema": t.schema}
             for t in event_catalogue()] + [type_view(d) for d in custom]
    terms = (query or "").lower().split()
    return sorted((t for t in types if (category is None or t["category"] == category)
                   and all(term in f"{t['key']} {t['description'] or ''}".lower() for term in terms)),
                  key=lambda t: t["key"])


def key_page(found: list[Doc], workspace_id: str, secret: str, limit: int, cursor: str | None) -> tuple[list[Doc],
                                                                                                     str | None]:
    """A page of `found` after the cursor's key, and the cursor of the next page (None on the last)."""
    after = ""
    if cursor:
        position = decode_cursor(cursor, secret)
        after = str(position.get("after", "")) if position.get("ws") == workspace_id else ""
    page = [t for t in found if t["key"] > after][:limit + 1]
    more, page = len(page) > limit, page[:limit]
    return page, encode_cursor({"after": page[-1]["key"], "ws": workspace_id}, secret) if more else None


def event_filter(body: EventFilter, workspace_id: str, now: float) -> Doc:
    """The deliveries an integration event filter selects (queued and processing differ by the lease)."""
    filt: Doc = {"workspace_id": workspace_id}
    if body.integration_id:
        filt["webhook_id"] = body.integration_id
    if body.event_type:
        filt["event_type"] = body.event_type
    if body.status == "queued":
        filt.update(status={"$in": list(OPEN)}, lease_until={"$lte": now})
    elif body.status == "processing":
        filt.update(status={"$in": list(OPEN)}, lease_until={"$gt": now})
    elif body.status:
        filt["status"] = body.status
    window = {op: at.timestamp() for op, at in (("$gte", body.start), ("$lte", body.end)) if at is not None}
    if window:
        filt["created_ts"] = window
    return filt


def router(runtime: ServiceRuntime) -> APIRouter:
    reads = Reads.of(runtime)
    api = APIRouter(prefix=PREFIX + "/v1/integrations")

    @api.get("/events")
    async def list_event_types(
        request: Request, principal: Caller,
        query: Annotated[str | None, Query(max_length=200)] = None,
        category: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 100, cursor: Annotated[str | None, Query(max_length=512)] = None,
    ) -> Response:
        """Built-in types then the workspace's own, by key; `query` matches every term in key or description."""
        custom = await reads.db[wh.EVENT_TYPES].find({"workspace_id": principal.workspace_id}).to_list()
        found = matching_types(custom, query, category)
        page, next_cursor = key_page(found, principal.workspace_id, reads.cursor_secret, limit, cursor)
        return json_response(ok_body(page, request_id_of(request), next_cursor=next_cursor))

    @api.post("/events/filter")
    async def filter_events(body: EventFilter, request: Request, principal: Caller) -> Response:
        """The workspace's integration events, newest first, a numbered page at a time."""
        filt = event_filter(body, principal.workspace_id, time.time())
        coll = reads.db[wh.DELIVERIES]
        total = await coll.count_documents(filt)
        docs = await coll.find(filt).sort("_id", -1).skip((body.page - 1) * body.limit).limit(body.limit).to_list()
        return json_response(ok_body([integration_event_view(d) for d in docs], request_id_of(request),
                                     meta={"page": body.page, "limit": body.limit, "total": total}))

    @api.get("/events/{eventId}")
    async def get_event(eventId: EventId, request: Request, principal: Caller) -> Response:
        """One integration event with its logs and payload (the edge asks this before a retry or cancel)."""
        doc = await reads.db[wh.DELIVERIES].find_one({"_id": eventId, "workspace_id": principal.workspace_id})
        if doc is None:
            raise ApiError("NOT_FOUND", "The integration event could not be found.")
        return json_response(ok_body(integration_event_view(doc, detail=True), request_id_of(request)))

    return api

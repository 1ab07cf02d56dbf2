"""Reads of webhook endpoints: the list (by text, status or an event type they would receive) and one endpoint.

A deleted endpoint is not found here (nor, at the edge, is anything under it).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of
from junction_common.web.listing import list_page, text_filter
from webhooks.api.reads import PREFIX, Caller, EndpointId, Reads
from webhooks.api.views import endpoint_view
from webhooks_contracts import declarations as wh

Doc = dict[str, Any]


def receiving(event_type: str) -> Doc:
    """Endpoints that would receive this type: listed exactly, by its family (`contact.*`), or everything."""
    parts = event_type.split(".")
    families = [".".join(parts[:n]) + ".*" for n in range(1, len(parts))]
    return {"$or": [{"event_types": event_type}, *({"event_types": f} for f in families),
                    {"event_types": "*"}, {"event_types": []}]}


def router(runtime: ServiceRuntime) -> APIRouter:
    reads = Reads.of(runtime)
    api = APIRouter(prefix=PREFIX)

    @api.get("/v1/webhooks")
    async def list_endpoints(
        request: Request, principal: Caller,
        query: Annotated[str | None, Query(max_length=200)] = None,
        status: Literal["active", "paused", "disabled"] | None = None,
        event_type: Annotated[str | None, Query(max_length=128)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 25, cursor: Annotated[str | None, Query(max_length=512)] = None,
    ) -> Response:
        """The workspace's endpoints, newest first; deleted ones are gone."""
        filt: Doc = {**text_filter(query, ("name", "url")), "deleted": False}
        if status:
            filt["status"] = status
        if event_type:
            filt.update(receiving(event_type))
        return await list_page(request, reads.db[wh.ENDPOINTS], principal, reads.cursor_secret, filt, limit, cursor,
                               endpoint_view)

    @api.get("/v1/webhooks/{webhook_id}")
    async def get_endpoint(webhook_id: EndpointId, request: Request, principal: Caller) -> Response:
        """One endpoint of the workspace (the edge asks this before any route under it)."""
        doc = await reads.db[wh.ENDPOINTS].find_one(
            {"_id": webhook_id, "workspace_id": principal.workspace_id, "deleted": False})
        if doc is None:
            raise ApiError("NOT_FOUND", "The webhook endpoint could not be found.")
        return json_response(ok_body(endpoint_view(doc), request_id_of(request)))

    return api

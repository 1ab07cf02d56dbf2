"""Reads of one endpoint's delivery log: the list (by event type or status) and one delivery with its payload."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of
from junction_common.web.listing import list_page
from webhooks.api.reads import PREFIX, Caller, DeliveryId, EndpointId, Reads
from webhooks.api.views import delivery_view
from webhooks_contracts import declarations as wh

Doc = dict[str, Any]


def router(runtime: ServiceRuntime) -> APIRouter:
    reads = Reads.of(runtime)
    api = APIRouter(prefix=PREFIX)

    @api.get("/v1/webhooks/{webhook_id}/deliveries")
    async def list_deliveries(
        webhook_id: EndpointId, request: Request, principal: Caller,
        event_type: Annotated[str | None, Query(max_length=128)] = None,
        status: Literal["pending", "retrying", "succeeded", "failed", "cancelled"] | None = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 25, cursor: Annotated[str | None, Query(max_length=512)] = None,
    ) -> Response:
        """The endpoint's deliveries, newest first (a `webhook_id` in the query must be the path's)."""
        query_id = request.query_params.get("webhook_id")
        if query_id is not None and query_id != webhook_id:
            raise ApiError("VALIDATION_ERROR", "webhook_id in the query must match the path.",
                           [{"pointer": "/query/webhook_id", "message": "differs from the path"}])
        filt: Doc = {"webhook_id": webhook_id}
        if event_type:
            filt["event_type"] = event_type
        if status:
            filt["status"] = status
        return await list_page(request, reads.db[wh.DELIVERIES], principal, reads.cursor_secret, filt, limit,
                               cursor, delivery_view)

    @api.get("/v1/webhooks/{webhook_id}/deliveries/{delivery_id}")
    async def get_delivery(webhook_id: EndpointId, delivery_id: DeliveryId, request: Request,
                           principal: Caller) -> Response:
        """One delivery of the endpoint, with the payload it sends."""
        doc = await reads.db[wh.DELIVERIES].find_one(
            {"_id": delivery_id, "webhook_id": webhook_id, "workspace_id": principal.workspace_id})
        if doc is None:
            raise ApiError("NOT_FOUND", "The delivery could not be found.")
        return json_response(ok_body(delivery_view(doc, with_payload=True), request_id_of(request)))

    return api

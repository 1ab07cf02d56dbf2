"""The resource a write answers with, as the public API shows it: the gateway's write keeps only the id of what
the command made or changed and asks here for the rest (it reads none of this service's fields).

Internal only (no public path leads here): a deleted endpoint is still shown, as its delete answers with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of
from webhooks.api.reads import PREFIX, Caller, Reads
from webhooks.api.views import delivery_view, endpoint_view, integration_event_view, type_view
from webhooks_contracts import declarations as wh

Doc = dict[str, Any]
WRITTEN = PREFIX + "/written"
# kind (the gateway's name for it) -> (collection, view, label)
KINDS: dict[str, tuple[str, Callable[[Doc], Doc], str]] = {
    "endpoints": (wh.ENDPOINTS, endpoint_view, "webhook endpoint"),
    "deliveries": (wh.DELIVERIES, delivery_view, "delivery"),
    "events": (wh.DELIVERIES, integration_event_view, "integration event"),
    "event_types": (wh.EVENT_TYPES, type_view, "integration event type"),
}
ResourceId = Annotated[str, Path(max_length=80, pattern=r"^[A-Za-z0-9_]+$")]


def router(runtime: ServiceRuntime) -> APIRouter:
    reads = Reads.of(runtime)
    api = APIRouter(prefix=WRITTEN)

    @api.get("/{kind}/{resource_id}")
    async def written(kind: str, resource_id: ResourceId, request: Request, principal: Caller) -> Response:
        """A write's resource of the caller's workspace, as its answer shows it."""
        if kind not in KINDS:
            raise ApiError("NOT_FOUND", "Nothing of this kind is written here.")
        collection, view, label = KINDS[kind]
        doc = await reads.db[collection].find_one({"_id": resource_id, "workspace_id": principal.workspace_id})
        if doc is None:
            raise ApiError("NOT_FOUND", f"The {label} could not be found.")
        return json_response(ok_body(view(doc), request_id_of(request)))

    return api

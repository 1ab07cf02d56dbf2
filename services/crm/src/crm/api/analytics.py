"""Analytics governance on the crm's internal API: validating a payload against the workspace's definitions."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from crm_contracts.analytics import EventPayload, validate_payload
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import json_response, ok_body, request_id_of
from junction_common.web.reads import Caller, Reads


def router(runtime: ServiceRuntime) -> APIRouter:
    reads, api = Reads.of(runtime), APIRouter(prefix="/internal/v1/analytics")

    @api.post("/events/validate")
    async def validate_event(body: EventPayload, request: Request, principal: Caller) -> Response:
        """Every missing required property, unknown property and type mismatch (a read: nothing changes)."""
        scope = {"workspace_id": principal.workspace_id, "archived": False}
        event = await reads.db["analytics_events"].find_one({**scope, "name": body.name})
        properties = {p["key"]: p async for p in reads.db["analytics_properties"].find(scope)}
        errors = validate_payload(event, properties, body)
        data = {"valid": not errors, "errors": errors, "request_id": request_id_of(request)}
        return json_response(ok_body(data, request_id_of(request)))

    return api

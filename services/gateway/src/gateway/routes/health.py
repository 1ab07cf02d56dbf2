"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.deps import ResourcesDep
from gateway.responses import json_response

router = APIRouter(tags=["Health"])


@router.get("/healthz", include_in_schema=False)
async def healthz() -> Response:
    return json_response({"status": "ok"})


@router.get("/readyz", include_in_schema=False)
async def readyz(res: ResourcesDep) -> Response:
    """Ready when the database answers (Kafka outages are absorbed by the producer)."""
    try:
        await res.client.admin.command("ping")
    except Exception:
        return json_response({"status": "unavailable"}, 503)
    return json_response({"status": "ready"})

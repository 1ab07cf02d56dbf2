"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.availability import DATABASE_ERRORS, tcp_reachable
from gateway.deps import Resources, ResourcesDep
from junction_common.web.envelope import json_response

router = APIRouter(tags=["Health"])


@router.get("/healthz", include_in_schema=False)
async def healthz() -> Response:
    return json_response({"status": "ok"})


@router.get("/readyz", include_in_schema=False)
async def readyz(res: ResourcesDep) -> Response:
    """Ready when the database answers a ping and Kafka accepts connections (each checked within ~2 s).

    A load balancer stops sending traffic while either is down; writes would be answered 503 anyway.
    """
    database, kafka = await asyncio.gather(_database_ok(res), tcp_reachable(res.settings.kafka_bootstrap, 2.0))
    checks = {"database": "ok" if database else "unreachable", "kafka": "ok" if kafka else "unreachable"}
    if database and kafka:
        return json_response({"status": "ready", "checks": checks})
    return json_response({"status": "unavailable", "checks": checks}, 503,
                         {"Retry-After": str(res.settings.unavailable_retry_after_s)})


async def _database_ok(res: Resources) -> bool:
    try:
        await asyncio.wait_for(res.client.admin.command("ping"), 2.0)
    except (TimeoutError, *DATABASE_ERRORS):
        return False
    return True

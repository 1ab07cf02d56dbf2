"""The webhooks service's internal API: every public read of the webhooks data and its synchronous operations.

The gateway forwards a public call `GET /v1/webhooks?...` here as `GET /internal/v1/webhooks?...`, signed for its
caller; the answer is already in the public envelope. Only this service reads the webhooks database: its
endpoints, deliveries (integration events) and event types, and the fields only it understands (sealed
secrets, leases, versions).
"""

from __future__ import annotations

from fastapi import APIRouter

from junction_common.service import ServiceRuntime
from webhooks.api import deliveries, endpoints, events, seal, written


def internal_routers(runtime: ServiceRuntime) -> list[APIRouter]:
    return [seal.router(runtime), endpoints.router(runtime), deliveries.router(runtime), events.router(runtime),
            written.router(runtime)]

"""The webhooks service's internal API: every public read of the webhooks data and its synchronous operations.

The gateway forwards a public call `GET /v1/webhooks?...` here as `GET /internal/v1/webhooks?...`, signed for its
caller; the answer is already in the public envelope. Only this service reads the webhooks database: its
endpoints, deliveries (integration events) and event types, and the fields only it understands (sealed
secrets, leases, versions).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from junction_common.mongo import Doc
from junction_common.service import ServiceRuntime
from webhooks.api import deliveries, endpoints, events, key_rotation, seal
from webhooks.api.views import delivery_view, endpoint_view, integration_event_view, type_view
from webhooks_contracts import declarations as wh

# How a write's answer shows what it made or changed (the outcome long poll presents it; `collection:view` when
# one collection is shown two ways): a delivery is also an integration event.
PRESENTERS: dict[str, Callable[[Doc], Doc]] = {
    wh.ENDPOINTS: endpoint_view,
    wh.EVENT_TYPES: type_view,
    wh.DELIVERIES: delivery_view,
    f"{wh.DELIVERIES}:{wh.EVENT_VIEW}": integration_event_view,
}


def internal_routers(runtime: ServiceRuntime) -> list[APIRouter]:
    return [seal.router(runtime), endpoints.router(runtime), deliveries.router(runtime), events.router(runtime),
            key_rotation.router(runtime)]

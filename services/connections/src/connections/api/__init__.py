"""The connections service's internal API: every public read of the provider catalogue, at its public path under
`/internal` (the gateway forwards `GET /connect/v1/providers` here as `GET /internal/connect/v1/providers`, signed
for its caller). Answers are already in each reference's documented shape.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from connections.api import connector_types, integrations, providers
from connections.catalogue.index import Catalogue
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime

log = get_logger(__name__)


def internal_routers(catalogue: Catalogue) -> Callable[[ServiceRuntime], list[APIRouter]]:
    def routers(runtime: ServiceRuntime) -> list[APIRouter]:
        log.info("provider_catalogue_served", providers=len(catalogue))
        return [providers.router(catalogue), connector_types.router(catalogue), integrations.router(catalogue)]

    return routers

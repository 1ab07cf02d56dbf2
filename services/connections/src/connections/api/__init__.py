"""The connections service's internal API: every public read of the provider catalogue and every operation on
connections, at its public path under `/internal` (the gateway forwards `GET /connect/v1/providers` here as
`GET /internal/connect/v1/providers`, signed for its caller). Answers are already in each reference's documented
shape.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from connections.api import (
    connect,
    connector_types,
    credentials,
    integrations,
    pipelines_connections,
    pipelines_oauth,
    pipelines_variants,
    provider_webhooks,
    providers,
    proxy,
    run_source,
    service_routes,
)
from connections.api.workspace_catalogue import with_workspace_catalogue
from connections.app.key_rotation import KeyRotation
from connections.app.oauth_flow import OAuthFlow
from connections.app.operations import Connections
from connections.app.proxy import Proxy
from connections.app.revoke import ProviderRevoker
from connections.app.webhook_tokens import WebhookTokens
from connections.catalogue.index import Catalogue
from connections.catalogue.workspace import WorkspaceCatalogue
from connections.settings import ConnectionsSettings
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime

log = get_logger(__name__)


def internal_routers(base: Catalogue) -> Callable[[ServiceRuntime], list[APIRouter]]:
    """Every route looks providers up in its call's workspace catalogue: `base` plus that workspace's own."""
    catalogue = WorkspaceCatalogue(base)

    def routers(runtime: ServiceRuntime) -> list[APIRouter]:
        log.info("provider_catalogue_served", providers=len(catalogue))
        connections = Connections(runtime)
        settings = _settings(runtime)
        flow = OAuthFlow(catalogue, connections, settings)
        connections.revoker = ProviderRevoker(catalogue, connections, flow, settings.provider_timeout_s)
        tokens = WebhookTokens(connections, settings.public_base_url)
        return [providers.router(catalogue), connector_types.router(catalogue), integrations.router(catalogue),
                connect.router(catalogue, connections), pipelines_connections.router(catalogue, connections),
                credentials.router(catalogue, connections),
                pipelines_oauth.router(flow), proxy.router(Proxy(catalogue, connections, flow, settings)),
                provider_webhooks.build(catalogue, connections, flow, settings),
                run_source.router(catalogue, connections), pipelines_variants.router(connections, tokens),
                service_routes.router(tokens, KeyRotation(connections))]

    return with_workspace_catalogue(catalogue, routers)


def _settings(runtime: ServiceRuntime) -> ConnectionsSettings:
    settings = runtime.settings
    return settings if isinstance(settings, ConnectionsSettings) else ConnectionsSettings(**settings.model_dump())

"""Every internal call reads its workspace's catalogue (catalogue.workspace): one dependency over all the
service's internal routes binds it before the route runs, for the caller's workspace or, on an OAuth callback
(no caller), for the workspace its signed state names (checked, not spent: the flow spends it)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request

from connections.api import custom_providers, tenant_integrations
from connections.app.custom_providers import CustomProviders
from connections.app.operations import Connections
from connections.app.tenant_integrations import TenantIntegrations
from connections.catalogue.workspace import WorkspaceCatalogue
from connections.oauth.state import StateRefused, StateSigner, state_key
from connections.settings import ConnectionsSettings
from junction_common.service import ServiceRuntime

Binder = Callable[[Request], Coroutine[Any, Any, None]]
Routers = Callable[[ServiceRuntime], list[APIRouter]]


def _binder(catalogue: WorkspaceCatalogue, runtime: ServiceRuntime, settings: ConnectionsSettings) -> Binder:
    signer = StateSigner(state_key(settings.signing_secret), ttl_s=settings.oauth_state_ttl_s)

    def of_state(request: Request) -> str | None:
        state = request.query_params.get("state")
        if not state or len(state) > 4096:
            return None
        try:
            return signer.check(state).workspace_id
        except StateRefused:
            return None

    async def bind_workspace_catalogue(request: Request) -> None:
        call = getattr(request.state, "internal_call", None)
        principal = getattr(call, "principal", None)
        workspace_id = principal.workspace_id if principal is not None else of_state(request)
        await catalogue.bind(runtime.db, workspace_id)

    return bind_workspace_catalogue


def _settings(runtime: ServiceRuntime) -> ConnectionsSettings:
    settings = runtime.settings
    return settings if isinstance(settings, ConnectionsSettings) else ConnectionsSettings(**settings.model_dump())


def _own_routers(catalogue: WorkspaceCatalogue, runtime: ServiceRuntime) -> list[APIRouter]:
    """Tenant integrations and custom providers (before them, the catalogue's /v1/integrations/available)."""
    integrations = TenantIntegrations(Connections(runtime))
    return [tenant_integrations.router(catalogue, integrations),
            custom_providers.router(CustomProviders(runtime, catalogue.base))]


def with_workspace_catalogue(catalogue: WorkspaceCatalogue,
                             routers: Callable[[ServiceRuntime], list[APIRouter]]) -> Routers:
    """The service's routers, tenant integrations and custom providers after them, all under one router whose
    dependency binds the call's workspace catalogue first."""

    def bound_routers(runtime: ServiceRuntime) -> list[APIRouter]:
        bound = APIRouter(dependencies=[Depends(_binder(catalogue, runtime, _settings(runtime)))])
        for router in [*routers(runtime), *_own_routers(catalogue, runtime)]:
            bound.include_router(router)
        return [bound]

    return bound_routers

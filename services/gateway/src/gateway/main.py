"""Gateway entry point: `create_app(settings)` builds the FastAPI app; `junction-gateway` serves it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from crm_contracts.crm import CRM_RESOURCES
from gateway import context, internal_api
from gateway.availability import DependencyErrors, PublishBreaker
from gateway.deps import Resources
from gateway.idempotency import IdempotencyStore
from gateway.jwt_auth import JwtVerifier
from gateway.members import MemberStore
from gateway.object_store import open_object_store
from gateway.ratelimit import RateLimiter
from gateway.routes import (
    api_keys,
    assets,
    bi,
    contacts,
    health,
    integration_events,
    leads,
    members,
    operations,
    resources,
    webhooks,
    workspace,
)
from gateway.routes.catalogue_routes import register_catalogue_routes
from gateway.safety import SafetyMiddleware
from gateway.settings import GatewaySettings
from junction_common.bus.broker import create_broker
from junction_common.contracts.operations import Served
from junction_common.envelope import utcnow
from junction_common.heap import freeze_startup_heap, release_startup_heap
from junction_common.identity import IdentityStore
from junction_common.logconfig import configure_logging, get_logger
from junction_common.mongo import create_client
from junction_common.topics import declared_topics, ensure_topics
from junction_common.tracing import configure_tracing
from junction_common.web import errors
from junction_common.web.route_index import install_route_index

log = get_logger("gateway")


async def _sweep(idem: IdempotencyStore, limiter: RateLimiter) -> None:
    """Expired Idempotency-Keys and rate-limit windows are removed by this sweeper (no TTL indexes). BI exports
    left pending are the crm's to sweep (crm.bi.sweeper)."""
    while True:
        await asyncio.sleep(600)
        with contextlib.suppress(Exception):
            removed = await idem.sweep(utcnow())
            windows = await limiter.sweep(utcnow())
            log.info("gateway_swept", idempotency_keys=removed, rate_windows=windows)


def create_app(settings: GatewaySettings, served: dict[str, Served] | None = None) -> FastAPI:
    """The gateway; `served` overrides the operations services declare they serve (entry points)."""
    configure_tracing("gateway", settings.otel_exporter)
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = create_client(settings)
        # Commands must have somewhere to wait even when their service has never started.
        await ensure_topics(settings, declared_topics())
        broker = create_broker(settings, client_id="junction-gateway")
        await broker.start()
        identity = IdentityStore(client[settings.db_name("identity")], settings.signing_secret)
        await identity.ensure_indexes()
        gateway_db = client[settings.db_name("gateway")]
        idem = IdempotencyStore(gateway_db, settings.idempotency_ttl_s, settings.idempotency_stale_s)
        await idem.ensure_indexes()
        await MemberStore(client[settings.db_name("identity")]).ensure_indexes()
        internal = await internal_api.serve_internal(settings, client[settings.db_name("identity")])
        limiter = RateLimiter(gateway_db, settings.rate_limit_sync_s)
        await limiter.ensure_indexes()
        syncer = asyncio.create_task(limiter.run())
        objects = open_object_store(settings)
        app.state.resources = Resources(settings, client, broker, identity, gateway_db, limiter, idem,
                                        JwtVerifier(settings), objects, PublishBreaker(settings.publish_breaker_s))
        sweeper = asyncio.create_task(_sweep(idem, limiter))
        freeze_startup_heap()
        yield
        release_startup_heap()
        if internal is not None:
            await internal.stop()
        sweeper.cancel()
        syncer.cancel()
        await limiter.close()  # this replica's last counts, before the client closes
        if app.state.resources.service_client is not None:
            await app.state.resources.service_client.close()
        await objects.close()
        await broker.stop()
        await client.close()

    app = FastAPI(title="Junction API", version="0.1.0", lifespan=lifespan,
                  docs_url="/api/docs", redoc_url="/api/redoc", openapi_url="/openapi.json")
    errors.install(app)
    app.add_middleware(DependencyErrors, retry_after_s=settings.unavailable_retry_after_s)
    app.add_middleware(SafetyMiddleware, max_body_bytes=settings.max_body_bytes)
    context.install(app)  # outside the safety checks, so refusals carry a request id too
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                           allow_methods=["*"], allow_headers=["*"],
                           expose_headers=["X-Request-Id", "X-Trace-Id", "X-RateLimit-Limit",
                                           "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"])
    routers = (health.router, contacts.router, operations.router, api_keys.router, members.router, workspace.router,
               leads.router, assets.router, bi.router, webhooks.router,
               integration_events.router,
               resources.router_for(CRM_RESOURCES))
    for router in routers:
        app.include_router(router)
    register_catalogue_routes(app, served)
    install_route_index(app)
    return app


def main() -> None:
    settings = GatewaySettings()
    configure_logging(settings.log_level, settings.log_json, service="gateway",
                      outage_interval_s=settings.log_outage_interval_s)
    configure_tracing("gateway", settings.otel_exporter)
    uvicorn.run(create_app(settings), host=settings.gateway_host, port=settings.gateway_port,
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()

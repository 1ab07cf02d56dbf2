"""Shared resources of the gateway process, reached through FastAPI dependencies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from gateway.availability import PublishBreaker
from gateway.idempotency import IdempotencyStore
from gateway.internal_client import ServiceClient
from gateway.jwt_auth import JwtVerifier
from gateway.object_store import ObjectStore
from gateway.ratelimit import RateLimiter
from gateway.settings import GatewaySettings
from junction_common.identity import IdentityStore

Doc = dict[str, Any]


@dataclass
class Resources:
    settings: GatewaySettings
    client: AsyncMongoClient[Doc]
    broker: KafkaBroker
    identity: IdentityStore
    gateway_db: AsyncDatabase[Doc]
    limiter: RateLimiter
    idempotency: IdempotencyStore
    jwt: JwtVerifier
    objects: ObjectStore
    breaker: PublishBreaker = field(default_factory=lambda: PublishBreaker(2.0))
    service_client: ServiceClient | None = None

    def services(self) -> ServiceClient:
        """The process's one client of the services' internal APIs (made on first use)."""
        if self.service_client is None:
            self.service_client = ServiceClient(self.settings)
        return self.service_client

    @property
    def identity_db(self) -> AsyncDatabase[Doc]:
        return self.client[self.settings.db_name("identity")]


async def get_resources(request: Request) -> Resources:
    """Async, so FastAPI calls it in the event loop rather than in its thread pool."""
    res: Resources = request.app.state.resources
    return res


ResourcesDep = Annotated[Resources, Depends(get_resources)]

"""Settings of the gateway."""

from __future__ import annotations

from pydantic import Field

from junction_common.object_store.settings import ObjectStoreSettings


class GatewaySettings(ObjectStoreSettings):
    """The gateway's settings; its object store (JUNCTION_OBJECT_STORE, JUNCTION_S3_*) keeps asset bytes."""

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    # The gateway's own internal API (services ask it for the identity it keeps: a workspace's members), on
    # `internal_host`; -1 serves none. `junction up`, compose and Kubernetes serve it on 8100.
    gateway_internal_port: int = -1
    # How long a write waits for its result to be readable before answering 202.
    command_timeout_s: float = 8.0
    # A command Kafka has not acknowledged (acks=all) within this many seconds is answered 503 + Retry-After.
    publish_timeout_s: float = 5.0
    forward_timeout_s: float = 30.0  # a forwarded read or synchronous operation (a BI query, an export)
    # After a failed publish, writes are answered 503 at once for this long (then one is tried again).
    publish_breaker_s: float = 2.0
    # A database call fails over to 503 + Retry-After after this long without a reachable server.
    mongo_selection_timeout_s: float = 3.0
    # The Retry-After (seconds) of a 503 answered while Kafka or the database is unreachable.
    unavailable_retry_after_s: int = 5
    idempotency_ttl_s: int = 24 * 3600
    # An in-flight Idempotency-Key older than this is taken over by a retry (its gateway died).
    idempotency_stale_s: int = 60
    max_body_bytes: int = 1_000_000
    # API-key lookups are cached this long; a revoked key stops working within this many seconds.
    auth_cache_s: float = 5.0
    # Plan rate limits (workflow-api.txt). Only benchmarks turn them off.
    rate_limit_enabled: bool = True
    # Each replica counts requests in memory and reconciles its counts with the others' through the database
    # this often (one write per workspace window per interval); see docs/operations.md, "Rate limits".
    rate_limit_sync_s: float = Field(default=1.0, gt=0)
    # Browser origins allowed by CORS (JSON list in JUNCTION_CORS_ORIGINS); empty disables CORS.
    cors_origins: list[str] = []
    # JWT bearer tokens (optional): HS256 secret and/or a JWKS (file or URL) for RS256/ES256.
    jwt_hs256_secret: str = ""
    jwt_jwks_file: str = ""
    jwt_jwks_url: str = ""
    jwt_issuer: str = ""
    jwt_audience: str = ""
    jwt_leeway_s: int = 30
    # After a webhook secret rotation the previous secret keeps signing (a second signature) this long.
    webhook_secret_overlap_s: int = 24 * 3600

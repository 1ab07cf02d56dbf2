"""Settings of the gateway."""

from junction_common.settings import JunctionSettings


class GatewaySettings(JunctionSettings):
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    # How long a write waits for its result to be readable before answering 202.
    command_timeout_s: float = 8.0
    idempotency_ttl_s: int = 24 * 3600
    # An in-flight Idempotency-Key older than this is taken over by a retry (its gateway died).
    idempotency_stale_s: int = 60
    max_body_bytes: int = 1_000_000
    # API-key lookups are cached this long; a revoked key stops working within this many seconds.
    auth_cache_s: float = 5.0
    # Plan rate limits (workflow-api.txt). Only benchmarks turn them off.
    rate_limit_enabled: bool = True
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

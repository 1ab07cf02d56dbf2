"""Settings of the webhooks service (env prefix JUNCTION_)."""

from __future__ import annotations

from pydantic import model_validator

from junction_common.settings import JunctionSettings

# Standard Webhooks / Svix-like schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
DEFAULT_SCHEDULE = "0,5,300,1800,7200,18000,36000,36000"
LOOPBACK = "127.0.0.0/8,::1/128"


class WebhooksSettings(JunctionSettings):
    # Its internal API (the gateway's only way to its outcomes and, next, its reads).
    internal_port: int = 8102
    # Networks a webhook URL may resolve to although they are not public (CIDRs, comma-separated).
    # Unset: loopback in development (so a receiver on the developer's machine works), none otherwise.
    webhook_allow_networks: str | None = None
    # https only, unless development/test admit http too.
    webhook_require_https: bool | None = None
    webhook_retry_schedule: str = DEFAULT_SCHEDULE
    webhook_jitter: float = 0.1
    webhook_timeout_s: float = 15.0
    webhook_endpoint_concurrency: int = 16
    webhook_endpoint_rate_per_s: float = 200.0
    webhook_lease_s: float = 60.0
    webhook_sweep_interval_s: float = 0.5
    webhook_disable_after_s: float = 5 * 86400.0
    webhook_response_body_limit: int = 2048
    webhook_max_retry_after_s: float = 86400.0
    # Finished deliveries (succeeded, failed, cancelled) are deleted after this long; 0 keeps them forever.
    webhook_delivery_retention_s: float = 30 * 86400.0

    @model_validator(mode="after")
    def _defaults_by_env(self) -> WebhooksSettings:
        local = self.env in ("development", "test")
        if self.webhook_allow_networks is None:
            self.webhook_allow_networks = LOOPBACK if local else ""
        if self.webhook_require_https is None:
            self.webhook_require_https = not local
        return self

    def retry_schedule(self) -> tuple[float, ...]:
        return parse_schedule(self.webhook_retry_schedule)


def parse_schedule(text: str) -> tuple[float, ...]:
    delays = tuple(float(part) for part in text.split(",") if part.strip())
    if not delays or any(d < 0 for d in delays):
        raise ValueError("a retry schedule is a non-empty list of delays in seconds, each >= 0")
    return delays

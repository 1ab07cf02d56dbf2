"""Settings of the connections service (env prefix JUNCTION_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr, model_validator

from junction_common.settings import JunctionSettings


class ConnectionsSettings(JunctionSettings):
    # Its internal API (the gateway's only way to its reads and synchronous operations).
    internal_port: int = 8103
    # Operators' folders of provider manifests (comma-separated paths), loaded beside the built-in ones; a
    # manifest there is validated like a built-in one, and a type already taken fails the start.
    provider_dirs: str = ""
    # Networks a provider's API may resolve to although they are not public (CIDRs, comma-separated; e.g. an
    # in-house API on 10.0.0.0/8). None by default: private, loopback and link-local addresses are refused.
    provider_allow_networks: str = ""
    # The hosts provider calls may reach (comma-separated; `*.example.com` admits its subdomains), refused before any
    # lookup: locks a deployment's egress to the providers it uses. Empty: any host the address policy admits.
    provider_egress_hosts: str = ""
    # https only for provider calls, unless development/test admit http too.
    provider_require_https: bool | None = None
    # A credential test's whole time (connect, send, answer).
    provider_timeout_s: float = 10.0
    # The operator's OAuth apps, per provider type: JSON `{"hubspot": {"client_id": ..., "client_secret": ...}}`
    # (a workspace may bring its own in the authorize request instead). Secret: never logged or shown.
    oauth_clients: SecretStr = SecretStr("")
    # The gateway's public base URL (default: where `junction up` serves it): the redirect URI is it +
    # /api/pipelines/oauth/<connector>/callback (as registered with each provider's OAuth app).
    public_base_url: str = "http://127.0.0.1:8000"
    # How long a user has to consent at the provider (the state's lifetime).
    oauth_state_ttl_s: float = 600.0
    # The provider proxy (POST /connect/v1/proxy/:providerType): the largest provider answer relayed (a larger one
    # is refused, 502), the whole call's time with its retries (under the gateway's forward timeout), retries of
    # 429/5xx on idempotent methods, the longest Retry-After honoured, and how long a call may wait for the
    # connection's rate limit (the manifest's `rate_limit`) before it is refused with 429.
    proxy_max_response_bytes: int = 5 * 1024 * 1024
    proxy_deadline_s: float = 25.0
    proxy_max_retries: int = 2
    proxy_retry_after_cap_s: float = 5.0
    proxy_rate_wait_s: float = 2.0

    @model_validator(mode="after")
    def _https_by_env(self) -> ConnectionsSettings:
        if self.provider_require_https is None:
            self.provider_require_https = self.env not in ("development", "test")
        return self

    def provider_paths(self) -> list[Path]:
        return [Path(part.strip()).expanduser() for part in self.provider_dirs.split(",") if part.strip()]

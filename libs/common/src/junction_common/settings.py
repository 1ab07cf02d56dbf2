"""The settings base every service extends: one pydantic-settings class per service."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SIGNING_SECRET = "dev-only-signing-secret-change-me"
DEV_INTERNAL_SECRET = "dev-only-internal-secret-change-me"
DEV_VAULT_KEYS = "dev1:ZGV2LW9ubHktdmF1bHQta2V5LTMyLWJ5dGVzLWxvbmc="  # 32 bytes, development only


def default_home() -> Path:
    return Path.home() / ".cache" / "junction"


class JunctionSettings(BaseSettings):
    """Settings shared by every Junction process (env prefix JUNCTION_)."""

    model_config = SettingsConfigDict(env_prefix="JUNCTION_", extra="ignore")

    env: str = "development"
    home: Path = Field(default_factory=default_home)
    kafka_bootstrap: str = "127.0.0.1:9092"
    mongodb_url: str = "mongodb://127.0.0.1:27017/?directConnection=true"
    # How long a database call waits for a reachable server before it fails (pymongo's server selection).
    mongo_selection_timeout_s: float = 15.0
    # Prefixes let tests and parallel installs share one broker and one server.
    topic_prefix: str = ""
    db_prefix: str = "junction_"
    log_level: str = "INFO"
    log_json: bool | None = None
    # While Kafka or the database is away, its connection errors become one warning per this many seconds.
    log_outage_interval_s: float = 10.0
    signing_secret: str = DEV_SIGNING_SECRET
    vault_keys: str = DEV_VAULT_KEYS
    vault_active_key: str = "dev1"
    otel_exporter: str = "none"
    # Signs the gateway's calls to a service's internal API (see junction_common.internal_auth).
    internal_secret: str = DEV_INTERNAL_SECRET
    # Where a service serves its internal API: port 0 picks a free one, -1 serves none.
    internal_host: str = "127.0.0.1"
    internal_port: int = -1
    # Each service's internal API (JSON in JUNCTION_SERVICE_URLS): the gateway forwards there, and a service calls
    # another's there (sync asks connections for a run's credentials; flows calls connections and sync; sync asks
    # the gateway, which keeps the workspaces' identity, for their members).
    service_urls: dict[str, str] = {"crm": "http://127.0.0.1:8101", "webhooks": "http://127.0.0.1:8102",
                                    "connections": "http://127.0.0.1:8103", "sync": "http://127.0.0.1:8104",
                                    "flows": "http://127.0.0.1:8105", "gateway": "http://127.0.0.1:8100"}
    # A liveness endpoint (GET /healthz) for services without an HTTP API; 0 disables it.
    health_host: str = "127.0.0.1"
    health_port: int = 0

    @model_validator(mode="after")
    def _refuse_dev_secrets(self) -> JunctionSettings:
        if self.env != "development" and self.env != "test":
            dev = (self.signing_secret == DEV_SIGNING_SECRET or self.vault_keys == DEV_VAULT_KEYS
                   or self.internal_secret == DEV_INTERNAL_SECRET)
            if dev:
                raise ValueError(
                    "JUNCTION_SIGNING_SECRET, JUNCTION_VAULT_KEYS and JUNCTION_INTERNAL_SECRET must be set "
                    "outside development"
                )
        return self

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    def db_name(self, service: str) -> str:
        return f"{self.db_prefix}{service}"

"""Connections and credentials: one resource (a workspace's credentials for one provider) reached through three
references (connect-api's connect/status/disconnect, pipelines-api's connections, workflow-api's credentials).

Command names, the read model's collection, the statuses, and the request bodies the edge validates. A request
carries a secret only in `credentials` (or workflow-api's `value`): the gateway forwards it to the connections
service's internal API, which seals it; no command on Kafka, event or answer ever holds it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

AGGREGATE = "connection"
COLLECTION = "connections"  # the read model (projection) of the connection aggregate

CREATE = "connection.create"
RECONNECT = "connection.reconnect"  # new credentials (and their test's outcome) for an existing connection
UPDATE = "connection.update"
RECORD_CHECK = "connection.record_check"
DISCONNECT = "connection.disconnect"
DELETE = "connection.delete"
COMMANDS: tuple[str, ...] = (CREATE, RECONNECT, UPDATE, RECORD_CHECK, DISCONNECT, DELETE)
ISSUE_WEBHOOK_TOKEN = "connection.issue_webhook_token"  # a token where it had none, or one of an older format
REVEAL_WEBHOOK_URL = "connection.reveal_webhook_url"  # the audit record of an admin seeing the URL
JOIN_VARIANT_GROUP = "connection.join_variant_group"  # the source of a first variant gets its group and label
MARK_CREDENTIALS_INVALID = "connection.mark_credentials_invalid"  # the provider refused its refresh token
ROTATE_KEYS = "connection.rotate_keys"  # its sealed secrets re-wrapped under the vault's active key
COMMANDS += (ISSUE_WEBHOOK_TOKEN, REVEAL_WEBHOOK_URL, JOIN_VARIANT_GROUP, MARK_CREDENTIALS_INVALID, ROTATE_KEYS)

CONNECTED, DISCONNECTED, ERROR = "CONNECTED", "DISCONNECTED", "ERROR"
Status = Literal["CONNECTED", "DISCONNECTED", "ERROR"]
# Which reference made a connection (each lists every connection of the workspace all the same).
Origin = Literal["connect", "pipelines", "credentials"]

_OPEN = ConfigDict(extra="allow")
_CLOSED = ConfigDict(extra="forbid")
Name = Field(min_length=1, max_length=200)


class Credentials(BaseModel):
    """What a provider's credential fields take: `apiKey`, optional `apiSecret`, and any other field the
    provider's manifest names (a subdomain, an account id). Every value is a string of at most 4096 characters."""

    model_config = _OPEN

    apiKey: str | None = Field(default=None, min_length=1, max_length=4096)
    apiSecret: str | None = Field(default=None, min_length=1, max_length=4096)

    @model_validator(mode="after")
    def _strings(self) -> Credentials:
        extra = self.model_extra or {}
        bad = [k for k, v in extra.items() if not isinstance(v, str) or not 0 < len(v) <= 4096 or len(k) > 64]
        if bad or len(extra) > 20:
            raise ValueError(f"credential fields are strings of 1 to 4096 characters: {sorted(bad)}")
        return self

    def values(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.model_dump(exclude_none=True).items()}


class ConnectBody(BaseModel):
    """connect-api.txt, Connect Provider (API Key): `credentials: {apiKey, apiSecret?}`."""

    model_config = _CLOSED

    credentials: Credentials


class Schedule(BaseModel):
    model_config = _OPEN

    enabled: bool = True
    frequency: Literal["hourly", "daily", "weekly", "monthly"] = "daily"


class PipelinesConnectionCreate(BaseModel):
    """pipelines-api.txt, Create a Connection. `type` is a connector family (`CRM_PLATFORM`) or a provider's own
    connector type (`HUBSPOT`); `provider` (or `config.provider`) names the provider where a family has several."""

    model_config = _CLOSED

    name: str = Name
    type: str = Field(min_length=1, max_length=64)
    credentials: Credentials
    provider: str | None = Field(default=None, max_length=64)
    config: dict[str, Any] | None = None
    schedule: Schedule | None = None
    notifyUserIds: list[str] | None = Field(default=None, max_length=500)


class PipelinesConnectionUpdate(BaseModel):
    """pipelines-api.txt, Update a Connection: any of its settable fields; `credentials` replaces them (tested)."""

    model_config = _CLOSED

    name: str | None = Field(default=None, min_length=1, max_length=200)
    credentials: Credentials | None = None
    config: dict[str, Any] | None = None
    schedule: Schedule | None = None
    notifyUserIds: list[str] | None = Field(default=None, max_length=500)


class PipelinesConnectionTest(BaseModel):
    """pipelines-api.txt, Test Connection: credentials tested against the provider, never saved."""

    model_config = _CLOSED

    type: str = Field(min_length=1, max_length=64)
    credentials: Credentials
    provider: str | None = Field(default=None, max_length=64)
    config: dict[str, Any] | None = None


class PipelinesListQuery(BaseModel):
    model_config = _CLOSED

    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class CredentialCreate(BaseModel):
    """workflow-api.txt, Create Credential: `{name, type, value}`; `provider` optionally ties it to a provider of
    the catalogue (then it is tested like any connection)."""

    model_config = _CLOSED

    name: str = Name
    type: Literal["api_key", "bearer_token", "basic_auth", "oauth2", "custom"] = "api_key"
    value: str = Field(min_length=1, max_length=4096)
    provider: str | None = Field(default=None, max_length=64)


class CredentialListQuery(BaseModel):
    model_config = _CLOSED

    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=500)


class OAuthAuthorizeBody(BaseModel):
    """pipelines-api.txt, Initiate OAuth: the workspace's own OAuth app (`client_id`, `client_secret`, sealed with
    the connection) or, without them, the operator's app for that provider (JUNCTION_OAUTH_CLIENTS)."""

    model_config = _CLOSED

    client_id: str | None = Field(default=None, min_length=1, max_length=512)
    client_secret: str | None = Field(default=None, min_length=1, max_length=4096)
    connectionName: str | None = Field(default=None, min_length=1, max_length=200)
    provider: str | None = Field(default=None, max_length=64)  # where the connector is a family of several


class OAuthCallbackQuery(BaseModel):
    """What a provider's redirect carries (RFC 6749 section 4.1.2): `code` and `state`, or `error`. Other
    parameters some providers add (`scope`, `iss`, ...) are ignored."""

    model_config = ConfigDict(extra="ignore")

    state: str = Field(min_length=1, max_length=4096)
    code: str | None = Field(default=None, min_length=1, max_length=4096)
    error: str | None = Field(default=None, max_length=200)
    error_description: str | None = Field(default=None, max_length=1000)


class OAuthExchangeBody(BaseModel):
    """pipelines-api.txt, Exchange Code (manual paste): `connectionId` and `code`; `state` when the caller has it
    (else the connection's pending state is used), verified against the caller's workspace either way."""

    model_config = _CLOSED

    connectionId: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=1, max_length=4096)
    state: str | None = Field(default=None, min_length=1, max_length=4096)


class VariantCreate(BaseModel):
    """pipelines-api.txt, Connection Variants: `name` and `variantLabel` (a sequential label when not given);
    `config.createOwnTables` gives the variant tables of its own; the credentials are the source's."""

    model_config = _CLOSED

    name: str | None = Field(default=None, min_length=1, max_length=200)
    variantLabel: str | None = Field(default=None, min_length=1, max_length=64)
    config: dict[str, Any] | None = None
    schedule: Schedule | None = None
    notifyUserIds: list[str] | None = Field(default=None, max_length=500)

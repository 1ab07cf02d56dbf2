"""Typed connection events: one payload model per event type, each with its `schema_version` (see docs/events.md).

Shapes (version 1), as the crm's and the webhooks':
- `connection.created`: `{"record": {...}, "credentials_sealed": {...} | null}`.
- every other type: `{"record": {...}, "changes": {...}}`; `connection.credentials_replaced` also carries
  `credentials_sealed`.
- `record` is the connection as the API presents it after the change, without its `id` and the timestamps the
  event's own `occurred_at` gives; it never holds a secret (the model refuses unknown fields), only
  `credential_preview` (`…abcd`) and the names of the credential fields given.
- The credentials travel only sealed (vault ciphertext bound to the workspace and the connection), in the
  internal top-level field `credentials_sealed`; `connection.disconnected` and `connection.deleted` erase them
  (the fold and the projection drop them), the history stays.
- The inbound webhook token travels as `webhook_token` (its SHA-256, format, prefix and sealed copy; created and
  webhook_token_issued); `connection.credentials_rotated` carries the re-wrapped sealed copies.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from connections_contracts.connection import Origin, Status
from junction_common.contracts.event_types import schemas_of

CURRENT_VERSION = 1
_CLOSED = ConfigDict(extra="forbid")


class Payload(BaseModel):
    model_config = _CLOSED
    schema_version: ClassVar[int] = CURRENT_VERSION


class SealedCredentials(BaseModel):
    """The credential fields as one vault ciphertext (key id, wrapped data key, nonce, ciphertext): never shown."""

    model_config = _CLOSED
    kid: str
    wrapped_key: str
    nonce: str
    ciphertext: str


class ConnectionSettings(BaseModel):
    """What a caller may change without new credentials."""

    model_config = _CLOSED
    name: str | None = None
    config: dict[str, Any] | None = None
    schedule: dict[str, Any] | None = None
    notify_user_ids: list[str] | None = None


class CheckChanges(BaseModel):
    """What a test of the credentials found."""

    model_config = _CLOSED
    status: Status | None = None
    last_error: str | None = None
    last_checked_at: str | None = None


class ConnectionRecord(ConnectionSettings, CheckChanges):
    """A connection as the API presents it, without its id and the event's timestamps: no secret."""

    provider: str | None = None  # the catalogue's provider type (`hubspot`); none for a bare credential
    connector_type: str | None = None  # what the pipelines request named (`CRM_PLATFORM`, `HUBSPOT`)
    auth_type: str = "api_key"
    origin: Origin = "pipelines"
    credential_type: str | None = None  # workflow-api's credential `type`
    credential_fields: list[str] = []
    credential_preview: str | None = None
    connected_at: str | None = None
    deleted: bool = False
    created_at: str | None = None
    variant_group_id: str | None = None  # the variants sharing its credentials (pipelines-api's variantGroupId)
    variant_label: str | None = None
    webhook_token_prefix: str | None = None  # the inbound webhook token's first characters (`abc1...`)
    provider_revoke: str | None = None  # at disconnect: revoked, failed, shared (others use it), or none
    provider_revoke_error: str | None = None


class ReplacedChanges(CheckChanges):
    credential_fields: list[str]
    credential_preview: str | None = None
    connected_at: str | None = None


class EndedChanges(BaseModel):
    model_config = _CLOSED
    status: Status
    credential_preview: None = None
    credential_fields: list[str] = []
    deleted: bool | None = None
    provider_revoke: str | None = None
    provider_revoke_error: str | None = None


class WebhookToken(BaseModel):
    """The inbound webhook token as held (internal): its SHA-256 (the lookup key), its format, its first
    characters, and the token itself sealed (for the admin's reveal). Never the plain token."""

    model_config = _CLOSED
    hash: str
    format: int
    prefix: str
    sealed: SealedCredentials


class TokenChanges(BaseModel):
    model_config = _CLOSED
    webhook_token_prefix: str | None = None


class VariantChanges(BaseModel):
    model_config = _CLOSED
    variant_group_id: str
    variant_label: str
    config: dict[str, Any] | None = None


class NoChanges(BaseModel):
    model_config = _CLOSED


class ConnectionCreated(Payload):
    """A connection was made: the connection, and its sealed credentials (internal)."""

    record: ConnectionRecord
    credentials_sealed: SealedCredentials | None = None
    webhook_token: WebhookToken | None = None  # none on connections made before inbound webhook tokens


class ConnectionUpdated(Payload):
    record: ConnectionRecord
    changes: ConnectionSettings


class ConnectionChecked(Payload):
    """Its credentials were tested (`check`, or a test right after a change)."""

    record: ConnectionRecord
    changes: CheckChanges


class CredentialsReplaced(Payload):
    """New credentials (sealed, internal) and their test's outcome."""

    record: ConnectionRecord
    changes: ReplacedChanges
    credentials_sealed: SealedCredentials


class ConnectionEnded(Payload):
    """Disconnected or deleted: the sealed credentials are erased from then on."""

    record: ConnectionRecord
    changes: EndedChanges


class WebhookTokenIssued(Payload):
    """An inbound webhook token was issued where there was none or one of an older format (internal)."""

    record: ConnectionRecord
    changes: TokenChanges
    webhook_token: WebhookToken


class WebhookUrlRevealed(Payload):
    """An admin was shown the connection's webhook URL (VIEW_SECRET audit; the actor is the event's)."""

    record: ConnectionRecord
    changes: NoChanges
    upgraded: bool = False


class VariantGroupJoined(Payload):
    """The source of a first variant was given its variant group and label."""

    record: ConnectionRecord
    changes: VariantChanges


class CredentialsInvalid(Payload):
    """The provider refused the connection's refresh token: ERROR until it is connected again."""

    record: ConnectionRecord
    changes: CheckChanges


class CredentialsRotated(Payload):
    """Its sealed secrets were re-wrapped under the vault's active key (internal; the secrets are unchanged)."""

    record: ConnectionRecord
    changes: NoChanges
    credentials_sealed: SealedCredentials | None = None
    webhook_token_sealed: SealedCredentials | None = None


EVENT_MODELS: dict[str, type[Payload]] = {
    "connection.created": ConnectionCreated,
    "connection.updated": ConnectionUpdated,
    "connection.checked": ConnectionChecked,
    "connection.credentials_replaced": CredentialsReplaced,
    "connection.disconnected": ConnectionEnded,
    "connection.deleted": ConnectionEnded,
    "connection.webhook_token_issued": WebhookTokenIssued,
    "connection.webhook_url_revealed": WebhookUrlRevealed,
    "connection.variant_group_joined": VariantGroupJoined,
    "connection.credentials_invalid": CredentialsInvalid,
    "connection.credentials_rotated": CredentialsRotated,
}
DESCRIPTIONS = {
    "connection.created": "A provider connection (or credential) was made.",
    "connection.updated": "A connection's name, config, schedule or notified users changed.",
    "connection.checked": "A connection's credentials were tested: its status, last error and check time.",
    "connection.credentials_replaced": "A connection was given new credentials.",
    "connection.disconnected": "A connection was disconnected and its credentials erased.",
    "connection.deleted": "A connection was deleted and its credentials erased.",
    "connection.webhook_token_issued": "A connection was given an inbound webhook token (or its token upgraded).",
    "connection.webhook_url_revealed": "An admin was shown a connection's inbound webhook URL (audit).",
    "connection.variant_group_joined": "A connection became the first member of a variant group.",
    "connection.credentials_invalid": "The provider refused a connection's refresh token: it is in ERROR.",
    "connection.credentials_rotated": "A connection's sealed secrets were re-encrypted under a new vault key.",
}


def version_of(event_type: str) -> int:
    return EVENT_MODELS[event_type].schema_version


def json_schemas() -> list[dict[str, Any]]:
    """Every event type with its version and the JSON Schema of its payload, sorted by type."""
    return schemas_of(EVENT_MODELS)

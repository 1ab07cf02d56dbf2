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


class ConnectionCreated(Payload):
    """A connection was made: the connection, and its sealed credentials (internal)."""

    record: ConnectionRecord
    credentials_sealed: SealedCredentials | None = None


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


EVENT_MODELS: dict[str, type[Payload]] = {
    "connection.created": ConnectionCreated,
    "connection.updated": ConnectionUpdated,
    "connection.checked": ConnectionChecked,
    "connection.credentials_replaced": CredentialsReplaced,
    "connection.disconnected": ConnectionEnded,
    "connection.deleted": ConnectionEnded,
}
DESCRIPTIONS = {
    "connection.created": "A provider connection (or credential) was made.",
    "connection.updated": "A connection's name, config, schedule or notified users changed.",
    "connection.checked": "A connection's credentials were tested: its status, last error and check time.",
    "connection.credentials_replaced": "A connection was given new credentials.",
    "connection.disconnected": "A connection was disconnected and its credentials erased.",
    "connection.deleted": "A connection was deleted and its credentials erased.",
}


def version_of(event_type: str) -> int:
    return EVENT_MODELS[event_type].schema_version


def json_schemas() -> list[dict[str, Any]]:
    """Every event type with its version and the JSON Schema of its payload, sorted by type."""
    return schemas_of(EVENT_MODELS)

"""Typed tenant integration events, one payload model per type with its `schema_version` (see docs/events.md).

Shapes (version 1):
- `tenant_integration.created`: `{"record": {...}, "settings_sealed": {...} | null, "key_hash": "..."}`.
- every other type: `{"record": {...}, "changes": {...}}`; `tenant_integration.updated` may carry new
  `settings_sealed`, `tenant_integration.key_regenerated` the new `key_hash`.
- `record` is the integration as the API presents it after the change (no id, no timestamps the event's
  `occurred_at` gives); it holds only settings its schema does not mark `writeOnly`, and the names of those it
  does. Those travel only sealed (vault ciphertext bound to the workspace and the integration). The inbound key
  never travels: only its SHA-256 (`key_hash`, how an inbound call is recognised) and a preview (`…abcd`).
- `tenant_integration_inbound.received` (its own stream per delivery, topic connections.tenant_integration_inbound
  .events): `{"integration_id", "service", "event_type", "source_id", "data"}`, the event as pushed.
- `tenant_integration.keys_rotated`: `{"record", "changes": {}, "settings_sealed"}`, the same sealed settings
  re-wrapped under the vault's active key (`junction keys rotate`; the secret's ciphertext is unchanged).
- `tenant_integration.deleted` erases the sealed settings and the key hash from then on; the history stays.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from connections_contracts.events import SealedCredentials

CURRENT_VERSION = 1
_CLOSED = ConfigDict(extra="forbid")
KeyHash = Field(pattern=r"^[0-9a-f]{64}$")
TestStatus = Literal["CONNECTED", "ERROR"]


class Payload(BaseModel):
    model_config = _CLOSED
    schema_version: ClassVar[int] = CURRENT_VERSION


class SyncRecord(BaseModel):
    model_config = _CLOSED
    event_type: str
    enabled: bool


class IntegrationSettings(BaseModel):
    """What a caller may change (plain settings only; the secret ones are named, their values sealed apart)."""

    model_config = _CLOSED
    name: str | None = None
    enabled: bool | None = None
    settings: dict[str, Any] | None = None
    secret_settings: list[str] | None = None
    synchronizations: list[SyncRecord] | None = None


class TestChanges(BaseModel):
    model_config = _CLOSED
    last_test_status: TestStatus
    last_test_error: str | None = None
    last_tested_at: str


class KeyChanges(BaseModel):
    model_config = _CLOSED
    key_preview: str
    key_regenerated_at: str


class IntegrationRecord(IntegrationSettings):
    """A tenant integration as the API presents it, without its id and the event's timestamps: no secret."""

    service: str
    key_preview: str | None = None
    key_regenerated_at: str | None = None
    last_test_status: TestStatus | None = None
    last_test_error: str | None = None
    last_tested_at: str | None = None
    deleted: bool = False


class IntegrationCreated(Payload):
    """A tenant integration was configured: the integration, its sealed secret settings, its key's hash."""

    record: IntegrationRecord
    settings_sealed: SealedCredentials | None = None
    key_hash: str = KeyHash


class IntegrationUpdated(Payload):
    """Its name, enabled flag, settings or synchronizations changed (new secret settings sealed)."""

    record: IntegrationRecord
    changes: IntegrationSettings
    settings_sealed: SealedCredentials | None = None


class IntegrationKeyRegenerated(Payload):
    """A new inbound key: the previous one is refused from this event on."""

    record: IntegrationRecord
    changes: KeyChanges
    key_hash: str = KeyHash


class IntegrationTested(Payload):
    """Its settings were tested against the provider (workflow-api's Test Integration)."""

    record: IntegrationRecord
    changes: TestChanges


class DeletedChanges(BaseModel):
    model_config = _CLOSED
    deleted: Literal[True]
    enabled: Literal[False]
    key_preview: None = None
    secret_settings: list[str] = []


class IntegrationDeleted(Payload):
    """Deleted: its sealed settings and key hash are erased from then on."""

    record: IntegrationRecord
    changes: DeletedChanges


class NoChanges(BaseModel):
    model_config = _CLOSED


class IntegrationKeysRotated(Payload):
    """Its sealed settings were re-wrapped under the vault's active key (internal; the secrets are unchanged)."""

    record: IntegrationRecord
    changes: NoChanges
    settings_sealed: SealedCredentials


class InboundReceived(Payload):
    """An event the tenant's own system pushed to one of its integrations with the inbound key."""

    integration_id: str
    service: str
    event_type: str
    source_id: str | None = None  # the sender's id of the event, when it gave one (recorded once)
    data: dict[str, Any]


EVENT_MODELS: dict[str, type[Payload]] = {
    "tenant_integration.created": IntegrationCreated,
    "tenant_integration.updated": IntegrationUpdated,
    "tenant_integration.key_regenerated": IntegrationKeyRegenerated,
    "tenant_integration.tested": IntegrationTested,
    "tenant_integration.deleted": IntegrationDeleted,
    "tenant_integration.keys_rotated": IntegrationKeysRotated,
    "tenant_integration_inbound.received": InboundReceived,
}
DESCRIPTIONS = {
    "tenant_integration.created": "A tenant integration was configured for a provider.",
    "tenant_integration.updated": "A tenant integration's name, enabled flag, settings or synchronizations changed.",
    "tenant_integration.key_regenerated": "A tenant integration's inbound API key was regenerated.",
    "tenant_integration.tested": "A tenant integration's settings were tested against its provider.",
    "tenant_integration.deleted": "A tenant integration was deleted and its secret settings erased.",
    "tenant_integration.keys_rotated": "A tenant integration's sealed settings were re-encrypted under a new key.",
    "tenant_integration_inbound.received": "A tenant's own system pushed an event to its integration.",
}

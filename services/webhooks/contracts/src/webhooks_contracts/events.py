"""Typed webhooks events: one payload model per event type the webhooks service emits, each with its
`schema_version`.

Shapes (version 2), the same as the crm's (see docs/events.md):
- `webhook_endpoint.created`, `integration_event_type.registered`: `{"record": {...}}`, the resource as the API
  presents it after the change, without its `id` and the timestamps the event's own `occurred_at` gives.
- every other endpoint event: `{"record": {...}, "changes": {...}}`, the endpoint after the change (it carries
  `created_at` from its creation) and the fields this event changed.
- Secrets never enter `record` or `changes`: the sealed signing secret (vault ciphertext) and the previous
  secrets still inside their overlap travel in the internal top-level fields `secret_sealed` and
  `previous_secrets`, which the public payload and the API never show.
- `webhook.test` is never stored: its model describes the test delivery's resource (`record`).
Version 1 (the command's fields, the sealed secret among them, as `data`) still loads through
`webhooks_contracts.event_upcasters`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from junction_common.contracts.event_types import schemas_of
from webhooks_contracts import declarations as wh

CURRENT_VERSION = 2
_CLOSED = ConfigDict(extra="forbid")
# Fields of an endpoint record the API derives from others (and so its read model does not store).
DERIVED = ("events", "secret_rotation", "deleted", "created_at")
# Fields of an endpoint's read model the API never shows: secrets and internal bookkeeping.
INTERNAL = (*wh.SECRET_FIELDS, "catch_up_since", "status_changed_at", "created_ts")


class Payload(BaseModel):
    """Every webhooks event payload: no field beyond its shape; `schema_version` is the shape's version."""

    model_config = _CLOSED
    schema_version: ClassVar[int] = CURRENT_VERSION


class SealedSecret(BaseModel):
    """A signing secret as the vault seals it (key id, wrapped data key, nonce, ciphertext): never shown."""

    model_config = _CLOSED
    kid: str
    wrapped_key: str
    nonce: str
    ciphertext: str


class PreviousSecret(BaseModel):
    """A replaced secret that still signs until `expires_at` (the rotation's overlap)."""

    model_config = _CLOSED
    secret_sealed: SealedSecret
    expires_at: str


class SecretRotation(BaseModel):
    model_config = _CLOSED
    previous_secrets_valid_until: list[str]


class EndpointFields(BaseModel):
    """An endpoint's own settable fields (what a create or an update may change)."""

    model_config = _CLOSED
    name: str | None = None
    url: str | None = None
    event_types: list[str] | None = None
    description: str | None = None
    status: Literal["active", "paused", "disabled"] | None = None
    rate_limit_per_s: float | None = None
    max_concurrency: int | None = None
    retry_schedule: list[float] | None = None


class EndpointRecord(EndpointFields):
    """A webhook endpoint as the API presents it (`GET /v1/webhooks/{id}`) without its id and the event's
    timestamps: no secret, only the preview that tells secrets apart."""

    signing_secret_preview: str | None = None
    disabled_reason: str | None = None
    deleted: bool = False
    created_at: str | None = None
    events: list[str] = []
    secret_rotation: SecretRotation = SecretRotation(previous_secrets_valid_until=[])


class EndpointChanges(EndpointFields):
    """An update's changed fields; re-enabling also clears `disabled_reason` and sets the (internal)
    `catch_up_since`, before which held deliveries are cancelled (null: none are)."""

    disabled_reason: None = None
    catch_up_since: str | None = None


class DeletedChanges(BaseModel):
    model_config = _CLOSED
    status: Literal["disabled"]
    deleted: Literal[True] = True


class DisabledChanges(BaseModel):
    model_config = _CLOSED
    status: Literal["disabled"]
    disabled_reason: str


class RotatedChanges(BaseModel):
    model_config = _CLOSED
    signing_secret_preview: str


class EndpointCreated(Payload):
    """An endpoint was created: the endpoint, and its sealed signing secret (internal)."""

    record: EndpointRecord
    secret_sealed: SealedSecret


class EndpointChanged(Payload):
    """`record` is absent only on events upcast from version 1, which did not carry it."""

    record: EndpointRecord | None = None


class EndpointUpdated(EndpointChanged):
    changes: EndpointChanges


class EndpointDeleted(EndpointChanged):
    changes: DeletedChanges


class EndpointDisabled(EndpointChanged):
    changes: DisabledChanges


class SecretRotated(EndpointChanged):
    """A new signing secret (internal, sealed) and the previous ones still valid (internal); the record shows
    only the new preview and when the previous ones expire."""

    changes: RotatedChanges
    secret_sealed: SealedSecret
    previous_secrets: list[PreviousSecret]


class NoChanges(BaseModel):
    model_config = _CLOSED


class KeysRotated(EndpointChanged):
    """Its sealed secrets re-wrapped under the vault's active key (internal; the secrets are unchanged): the
    current one and the previous ones, where re-wrapped."""

    changes: NoChanges
    secret_sealed: SealedSecret | None = None
    previous_secrets: list[PreviousSecret] | None = None


class EventTypeRecord(BaseModel):
    """A workspace's own event type as the API lists it, without its id and creation time."""

    model_config = _CLOSED
    key: str
    category: str
    description: str | None = None
    custom: Literal[True] = True


class EventTypeRegistered(Payload):
    record: EventTypeRecord


class WebhookTestRecord(BaseModel):
    """What a test delivery names: the endpoint it was sent to."""

    model_config = _CLOSED
    webhook_id: str
    message: str


class WebhookTestSent(Payload):
    """`webhook.test` (never stored): the test delivery's resource."""

    record: WebhookTestRecord


EVENT_MODELS: dict[str, type[Payload]] = {
    wh.TEST_EVENT: WebhookTestSent,
    "webhook_endpoint.created": EndpointCreated,
    "webhook_endpoint.updated": EndpointUpdated,
    "webhook_endpoint.deleted": EndpointDeleted,
    "webhook_endpoint.secret_rotated": SecretRotated,
    "webhook_endpoint.disabled": EndpointDisabled,
    "webhook_endpoint.keys_rotated": KeysRotated,
    "integration_event_type.registered": EventTypeRegistered,
}


def endpoint_record(fields: dict[str, Any], previous_secrets: list[dict[str, Any]], deleted: bool,
                    created_at: str | None) -> dict[str, Any]:
    """The endpoint the API presents for these stored fields (secrets and bookkeeping left out)."""
    record = {k: v for k, v in fields.items() if k not in INTERNAL and k not in DERIVED}
    if created_at is not None:
        record["created_at"] = created_at
    return {**record, "deleted": deleted, "events": record.get("event_types") or [],
            "secret_rotation": {"previous_secrets_valid_until": [s["expires_at"] for s in previous_secrets]}}


def version_of(event_type: str) -> int:
    """The current schema version of `event_type`."""
    return EVENT_MODELS[event_type].schema_version


def json_schemas() -> list[dict[str, Any]]:
    """Every webhooks event type with its current version and the JSON Schema of its payload, sorted by type."""
    return schemas_of(EVENT_MODELS)

"""Provider webhook subscription aggregate (`pws_...`) and delivery aggregate (`pwd_...`), pure.

Invariants:
- A subscription is made once; deleting it marks it DELETED (its sealed secret erased from then on), deleting it
  again changes nothing, and a deleted subscription takes no delivery.
- A delivery's stream id derives from its subscription and the provider's delivery id, so a delivery the provider
  sends again finds its stream already written and records nothing (the first one stands). A delivery without
  an id gets a stream of its own.
- A key rotation re-wraps only the sealed secrets it read: one changed since (or erased) is left as it is.
- Every payload goes through its model (connections_contracts.provider_webhooks): no secret, no token.
"""

from __future__ import annotations

from typing import Any

from connections.domain.tenant_integration import same_secret
from connections_contracts import provider_webhooks as pw
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent


def build(kind: str, /, **parts: Any) -> NewEvent:
    """Event `kind` from its parts, validated by its model (a part it refuses is a bug: it propagates)."""
    model = pw.EVENT_MODELS[kind]
    validated = model.model_validate(parts).model_dump(mode="json", exclude_unset=True)
    return NewEvent(type=kind, data={name: validated[name] for name in parts},
                    schema_version=model.schema_version)


def subscription_record(events: list[EventEnvelope]) -> dict[str, Any] | None:
    """The subscription's record after its events (None before it is made)."""
    record: dict[str, Any] | None = None
    for event in events:
        record = dict(event.data["record"])
    return record


def decide_subscription(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
    record = subscription_record(events)
    if cmd.type == pw.SUBSCRIBE:
        if record is not None:
            raise CommandRejected("VALIDATION_ERROR", "The subscription already exists.", {"id": cmd.aggregate_id})
        return [build("provider_webhook_subscription.created", record=cmd.data["record"],
                      secret_sealed=cmd.data.get("secret_sealed"),
                      forward_secret_sealed=cmd.data.get("forward_secret_sealed"))]
    if cmd.type == pw.UNSUBSCRIBE:
        if record is None:
            raise CommandRejected("NOT_FOUND", "The subscription could not be found.", {"id": cmd.aggregate_id})
        if record["status"] == pw.DELETED:
            return []
        changes = {"status": pw.DELETED}
        return [build("provider_webhook_subscription.deleted", record={**record, **changes}, changes=changes)]
    if cmd.type == pw.HANDSHAKE:
        return _handshake(record, events, cmd.data)
    if cmd.type == pw.ROTATE_KEYS:
        return _rotate(record, held_secrets(events), cmd.data)
    raise CommandRejected("VALIDATION_ERROR", f"unknown command {cmd.type}")


def held_secrets(events: list[EventEnvelope]) -> dict[str, Any]:
    """The subscription's sealed secrets by field after its events (a delete erases them)."""
    held: dict[str, Any] = {}
    for event in events:
        held.update({name: event.data[name] for name in pw.SEALED_FIELDS if name in event.data})
        if event.type.endswith(".deleted"):
            held = {}
    return held


def _rotate(record: dict[str, Any] | None, held: dict[str, Any], data: dict[str, Any]) -> list[NewEvent]:
    """The given re-wrapped secrets that re-wrap exactly the ones held (nothing once deleted)."""
    if record is None or record["status"] == pw.DELETED:
        return []
    parts = {name: data[name] for name in pw.SEALED_FIELDS if same_secret(held.get(name), data.get(name))}
    if not parts:
        return []
    return [build("provider_webhook_subscription.keys_rotated", record=record, changes={}, **parts)]


def _handshake(record: dict[str, Any] | None, events: list[EventEnvelope], data: dict[str, Any]) -> list[NewEvent]:
    """The provider's handshake secret is kept once, by an ACTIVE subscription waiting for it."""
    if record is None or record["status"] == pw.DELETED:
        raise CommandRejected("NOT_FOUND", "The subscription could not be found.", {})
    if (record.get("signing") or {}).get("secretSource") != "handshake" or \
            any(e.type == "provider_webhook_subscription.secret_received" for e in events):
        raise CommandRejected("CONFLICT", "The subscription's signing secret is already set.", {})
    return [build("provider_webhook_subscription.secret_received", record=record, changes={},
                  secret_sealed=data["secret_sealed"])]


def decide_delivery(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
    """Record the delivery once: a stream already written is a delivery seen before."""
    if cmd.type != pw.RECEIVE:
        raise CommandRejected("VALIDATION_ERROR", f"unknown command {cmd.type}")
    if events:
        return []
    return [build("provider_webhook.received", **cmd.data)]

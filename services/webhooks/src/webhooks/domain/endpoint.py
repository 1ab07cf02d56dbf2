"""Webhook endpoint aggregate (`wh_...`).

Invariants:
- An endpoint is created once; a deleted endpoint accepts nothing more (deleting again changes nothing).
- Its status is active, paused or disabled; the system disables it (410 Gone, or failing too long) with
  a reason; a caller re-enables it by setting `active`, optionally catching up only from a chosen time.
- Its signing secret is only ever held sealed (vault ciphertext); rotation keeps the previous secrets valid
  until their `expires_at`, so receivers can switch without dropping a delivery.
- An update that changes nothing emits no event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent
from webhooks_contracts import declarations as wh

MUTABLE = ("name", "url", "event_types", "description", "status", "rate_limit_per_s", "max_concurrency",
           "retry_schedule")


@dataclass(frozen=True)
class Endpoint:
    endpoint_id: str
    fields: dict[str, Any]
    previous_secrets: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False

    @property
    def status(self) -> str:
        return str(self.fields.get("status", "active"))


def evolve(state: Endpoint | None, event: EventEnvelope) -> Endpoint | None:
    verb = event.type.rsplit(".", 1)[-1]
    if verb == "created":
        return Endpoint(event.stream_id, dict(event.data))
    if state is None:
        return None
    if verb == "deleted":
        return Endpoint(state.endpoint_id, state.fields, state.previous_secrets, deleted=True)
    if verb == "secret_rotated":
        fields = {**state.fields, "secret_sealed": event.data["secret_sealed"],
                  "signing_secret_preview": event.data["signing_secret_preview"]}
        return Endpoint(state.endpoint_id, fields, list(event.data["previous_secrets"]), state.deleted)
    return Endpoint(state.endpoint_id, {**state.fields, **event.data}, state.previous_secrets, state.deleted)


def fold(events: list[EventEnvelope]) -> Endpoint | None:
    state: Endpoint | None = None
    for event in events:
        state = evolve(state, event)
    return state


def decide(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
    state = fold(events)
    if cmd.type == wh.CREATE_ENDPOINT:
        if state is not None:
            raise CommandRejected("VALIDATION_ERROR", "webhook endpoint already exists", {"id": cmd.aggregate_id})
        return [NewEvent(type="webhook_endpoint.created", data={**cmd.data, "status": "active"})]
    if state is None or (state.deleted and cmd.type != wh.DELETE_ENDPOINT):
        raise CommandRejected("NOT_FOUND", "The webhook endpoint could not be found.")
    if cmd.type == wh.DELETE_ENDPOINT:
        return [] if state.deleted else [NewEvent(type="webhook_endpoint.deleted", data={"status": "disabled"})]
    if cmd.type == wh.UPDATE_ENDPOINT:
        return _update(state, cmd.data)
    if cmd.type == wh.ROTATE_SECRET:
        return [_rotate(state, cmd)]
    if cmd.type == wh.DISABLE_ENDPOINT:
        if state.status == "disabled":
            return []
        return [NewEvent(type="webhook_endpoint.disabled",
                         data={"status": "disabled", "disabled_reason": cmd.data.get("reason", "")})]
    raise CommandRejected("VALIDATION_ERROR", f"unknown command {cmd.type}")


def _update(state: Endpoint, patch: dict[str, Any]) -> list[NewEvent]:
    changed = {k: v for k, v in patch.items() if k in MUTABLE and state.fields.get(k) != v}
    if changed.get("status") == "active" and state.status != "active":
        # Re-enabling: deliveries held while paused or disabled go out from `catch_up_since` (default: all).
        changed["catch_up_since"] = patch.get("catch_up_since")
        changed["disabled_reason"] = None
    return [NewEvent(type="webhook_endpoint.updated", data=changed)] if changed else []


def _rotate(state: Endpoint, cmd: CommandEnvelope) -> NewEvent:
    now = cmd.issued_at
    overlap = float(cmd.data.get("overlap_s", 0))
    expires = (now + timedelta(seconds=overlap)).isoformat()
    kept = [s for s in state.previous_secrets if str(s["expires_at"]) > now.isoformat()]
    previous = [*kept, {"secret_sealed": state.fields["secret_sealed"], "expires_at": expires}] if overlap else kept
    return NewEvent(type="webhook_endpoint.secret_rotated",
                    data={"secret_sealed": cmd.data["secret_sealed"],
                          "signing_secret_preview": cmd.data["signing_secret_preview"],
                          "previous_secrets": previous})

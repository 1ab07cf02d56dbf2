"""Webhook endpoint aggregate (`wh_...`).

Invariants:
- An endpoint is created once; a deleted endpoint accepts nothing more (deleting again changes nothing).
- Its status is active, paused or disabled; the system disables it (410 Gone, or failing too long) with
  a reason; a caller re-enables it by setting `active`, optionally catching up only from a chosen time.
- Its signing secret is only ever held sealed (vault ciphertext); rotation keeps the previous secrets valid
  until their `expires_at`, so receivers can switch without dropping a delivery.
- An update that changes nothing emits no event.
- A key rotation re-wraps only the sealed secrets it read: one replaced since (or expired) is left as it is.
- Its events are built through their payload models (webhooks_contracts.events): the record never holds a
  secret; the sealed secrets travel in the events' internal fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent
from webhooks.domain.events import build
from webhooks_contracts import declarations as wh
from webhooks_contracts.events import DERIVED, endpoint_record

MUTABLE = ("name", "url", "event_types", "description", "status", "rate_limit_per_s", "max_concurrency",
           "retry_schedule")


@dataclass(frozen=True)
class Endpoint:
    endpoint_id: str
    # Its stored fields: the API's, the sealed secret and bookkeeping (`catch_up_since`).
    fields: dict[str, Any]
    previous_secrets: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    created_at: str | None = None

    @property
    def status(self) -> str:
        return str(self.fields.get("status", "active"))

    def record(self) -> dict[str, Any]:
        """The endpoint as the API presents it, without its id and the timestamps of the event at hand."""
        return endpoint_record(self.fields, self.previous_secrets, self.deleted, self.created_at)


def evolve(state: Endpoint | None, event: EventEnvelope) -> Endpoint | None:
    """The endpoint after `event` (version 2: a creation's `record`, a change's `changes`, secrets apart)."""
    verb = event.type.rsplit(".", 1)[-1]
    data = event.data
    if verb == "created":
        own = {k: v for k, v in data["record"].items() if k not in DERIVED}
        return Endpoint(event.stream_id, {**own, "secret_sealed": data["secret_sealed"]},
                        created_at=event.occurred_at.isoformat())
    if state is None:
        return None
    fields = {**state.fields, **data["changes"]}
    if verb == "deleted":
        return replace(state, fields=fields, deleted=True)
    if verb == "secret_rotated":
        return replace(state, fields={**fields, "secret_sealed": data["secret_sealed"]},
                       previous_secrets=list(data["previous_secrets"]))
    if verb == "keys_rotated":
        return _rewrapped(state, data)
    return replace(state, fields=fields)


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
        return [_create(cmd)]
    if state is None or (state.deleted and cmd.type != wh.DELETE_ENDPOINT):
        raise CommandRejected("NOT_FOUND", "The webhook endpoint could not be found.")
    if cmd.type == wh.DELETE_ENDPOINT:
        return [] if state.deleted else [_changed("webhook_endpoint.deleted", state,
                                                  {"status": "disabled", "deleted": True}, deleted=True)]
    if cmd.type == wh.UPDATE_ENDPOINT:
        return _update(state, cmd.data)
    if cmd.type == wh.ROTATE_SECRET:
        return [_rotate(state, cmd)]
    if cmd.type == wh.ROTATE_KEYS:
        return _rotate_keys(state, cmd.data)
    if cmd.type == wh.DISABLE_ENDPOINT:
        if state.status == "disabled":
            return []
        return [_changed("webhook_endpoint.disabled", state,
                         {"status": "disabled", "disabled_reason": cmd.data.get("reason", "")})]
    raise CommandRejected("VALIDATION_ERROR", f"unknown command {cmd.type}")


def _create(cmd: CommandEnvelope) -> NewEvent:
    fields = {k: v for k, v in cmd.data.items() if k != "secret_sealed"}
    created = Endpoint(cmd.aggregate_id, {**fields, "status": "active"})
    return build("webhook_endpoint.created", record=created.record(), secret_sealed=cmd.data["secret_sealed"])


def _changed(event_type: str, state: Endpoint, changes: dict[str, Any], **after: Any) -> NewEvent:
    """A change event: the endpoint after `changes` (and `after`, e.g. deleted) and the changes."""
    changed = replace(state, fields={**state.fields, **changes}, **after)
    return build(event_type, record=changed.record(), changes=changes)


def _update(state: Endpoint, patch: dict[str, Any]) -> list[NewEvent]:
    changed = {k: v for k, v in patch.items() if k in MUTABLE and state.fields.get(k) != v}
    if changed.get("status") == "active" and state.status != "active":
        # Re-enabling: deliveries held while paused or disabled go out from `catch_up_since` (default: all).
        changed["catch_up_since"] = patch.get("catch_up_since")
        changed["disabled_reason"] = None
    return [_changed("webhook_endpoint.updated", state, changed)] if changed else []


def _rotate(state: Endpoint, cmd: CommandEnvelope) -> NewEvent:
    now = cmd.issued_at
    overlap = float(cmd.data.get("overlap_s", 0))
    expires = (now + timedelta(seconds=overlap)).isoformat()
    kept = [s for s in state.previous_secrets if str(s["expires_at"]) > now.isoformat()]
    previous = [*kept, {"secret_sealed": state.fields["secret_sealed"], "expires_at": expires}] if overlap else kept
    changes = {"signing_secret_preview": cmd.data["signing_secret_preview"]}
    rotated = replace(state, fields={**state.fields, **changes}, previous_secrets=previous)
    return build("webhook_endpoint.secret_rotated", record=rotated.record(), changes=changes,
                 secret_sealed=cmd.data["secret_sealed"], previous_secrets=previous)


def _rewrapped(state: Endpoint, data: dict[str, Any]) -> Endpoint:
    if data.get("secret_sealed"):
        state = replace(state, fields={**state.fields, "secret_sealed": data["secret_sealed"]})
    if data.get("previous_secrets") is not None:
        state = replace(state, previous_secrets=list(data["previous_secrets"]))
    return state


def same_secret(held: dict[str, Any] | None, given: dict[str, Any] | None) -> bool:
    """`given` re-wraps exactly the secret `held` (same ciphertext and nonce) under another key."""
    return bool(held and given and held["ciphertext"] == given["ciphertext"] and held["nonce"] == given["nonce"]
                and held["kid"] != given["kid"])


def _rotate_keys(state: Endpoint, data: dict[str, Any]) -> list[NewEvent]:
    """The given re-wrapped secrets that re-wrap exactly the ones held (matched by ciphertext)."""
    parts: dict[str, Any] = {}
    if same_secret(state.fields.get("secret_sealed"), data.get("secret_sealed")):
        parts["secret_sealed"] = data["secret_sealed"]
    given = {s["secret_sealed"]["ciphertext"]: s["secret_sealed"] for s in data.get("previous_secrets") or []}
    previous = [{**s, "secret_sealed": given[s["secret_sealed"]["ciphertext"]]}
                if same_secret(s["secret_sealed"], given.get(s["secret_sealed"]["ciphertext"])) else s
                for s in state.previous_secrets]
    if previous != state.previous_secrets:
        parts["previous_secrets"] = previous
    if not parts:
        return []
    return [build("webhook_endpoint.keys_rotated", record=state.record(), changes={}, **parts)]

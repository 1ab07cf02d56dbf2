"""Tenant integration aggregate (`int_...`): a workspace's configured integration of one catalogue provider.

Invariants:
- Created once; a deleted integration accepts nothing more (deleting again changes nothing).
- Its secret settings are only ever held sealed; its inbound key only as a hash. A regenerated key replaces the
  hash in the same event, so the previous key is refused from then on; a delete erases both.
- An update that changes nothing emits no event.
- Times come from the command (the service measured them), never from a clock here.
- A key rotation re-wraps only the sealed settings it read: if they changed since, it records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from connections_contracts import tenant_integrations as ti
from connections_contracts.tenant_integration_events import EVENT_MODELS
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent

SETTABLE = ("name", "enabled", "settings", "secret_settings", "synchronizations")


@dataclass(frozen=True)
class TenantIntegration:
    integration_id: str
    record: dict[str, Any]  # as the API presents it (IntegrationRecord), no secret
    key_hash: str | None = None
    settings_sealed: dict[str, Any] | None = None

    @property
    def deleted(self) -> bool:
        return bool(self.record.get("deleted"))


def build(kind: str, /, **parts: Any) -> NewEvent:
    """Event of type `kind` from its parts, validated by its model (a part it refuses is a bug: it propagates)."""
    model = EVENT_MODELS[kind]
    validated = model.model_validate(parts).model_dump(mode="json", exclude_unset=True)
    return NewEvent(type=kind, data={name: validated[name] for name in parts}, schema_version=model.schema_version)


def evolve(state: TenantIntegration | None, event: EventEnvelope) -> TenantIntegration | None:
    verb = event.type.rsplit(".", 1)[-1]
    data = event.data
    if verb == "created":
        return TenantIntegration(event.stream_id, dict(data["record"]), data.get("key_hash"),
                                 data.get("settings_sealed"))
    if state is None:
        return None
    state = replace(state, record={**state.record, **data["changes"]})
    if "settings_sealed" in data:  # updated (new settings) or keys_rotated (re-wrapped)
        state = replace(state, settings_sealed=data["settings_sealed"])
    if verb == "key_regenerated":
        return replace(state, key_hash=data["key_hash"])
    if verb == "deleted":
        return replace(state, key_hash=None, settings_sealed=None)
    return state


def fold(events: list[EventEnvelope]) -> TenantIntegration | None:
    state: TenantIntegration | None = None
    for event in events:
        state = evolve(state, event)
    return state


def decide(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
    state = fold(events)
    if cmd.type == ti.CREATE:
        if state is not None:
            raise CommandRejected("VALIDATION_ERROR", "The integration already exists.", {"id": cmd.aggregate_id})
        return [_create(cmd.data)]
    if state is None or (state.deleted and cmd.type != ti.DELETE):
        raise CommandRejected("NOT_FOUND", "The integration could not be found.", {"id": cmd.aggregate_id})
    return _change(cmd, state)


def _change(cmd: CommandEnvelope, state: TenantIntegration) -> list[NewEvent]:
    if cmd.type == ti.DELETE:
        return [] if state.deleted else [_deleted(state)]
    if cmd.type == ti.UPDATE:
        return _update(state, cmd.data)
    if cmd.type == ti.REGENERATE_KEY:
        changes = {"key_preview": cmd.data["key_preview"], "key_regenerated_at": cmd.data["at"]}
        return [build("tenant_integration.key_regenerated", record={**state.record, **changes}, changes=changes,
                      key_hash=cmd.data["key_hash"])]
    if cmd.type == ti.RECORD_TEST:
        changes = {"last_test_status": cmd.data["status"], "last_test_error": cmd.data.get("error"),
                   "last_tested_at": cmd.data["at"]}
        return [build("tenant_integration.tested", record={**state.record, **changes}, changes=changes)]
    if cmd.type == ti.ROTATE_KEYS:
        return _rotate(state, cmd.data)
    raise CommandRejected("VALIDATION_ERROR", f"unknown command {cmd.type}")


def _create(data: dict[str, Any]) -> NewEvent:
    record = {**data["record"], "deleted": False}
    return build("tenant_integration.created", record=record, settings_sealed=data.get("settings_sealed"),
                 key_hash=data["key_hash"])


def _update(state: TenantIntegration, data: dict[str, Any]) -> list[NewEvent]:
    changes = {k: v for k, v in data["changes"].items() if k in SETTABLE and state.record.get(k) != v}
    sealed = data.get("settings_sealed")
    if not changes and sealed is None:
        return []
    parts: dict[str, Any] = {"record": {**state.record, **changes}, "changes": changes}
    if sealed is not None:
        parts["settings_sealed"] = sealed
    return [build("tenant_integration.updated", **parts)]


def _deleted(state: TenantIntegration) -> NewEvent:
    changes: dict[str, Any] = {"deleted": True, "enabled": False, "key_preview": None, "secret_settings": []}
    return build("tenant_integration.deleted", record={**state.record, **changes}, changes=changes)


def same_secret(held: dict[str, Any] | None, given: dict[str, Any] | None) -> bool:
    """`given` re-wraps exactly the secret `held` (same ciphertext and nonce) under another key."""
    return bool(held and given and held["ciphertext"] == given["ciphertext"] and held["nonce"] == given["nonce"]
                and held["kid"] != given["kid"])


def _rotate(state: TenantIntegration, data: dict[str, Any]) -> list[NewEvent]:
    if not same_secret(state.settings_sealed, data.get("settings_sealed")):
        return []
    return [build("tenant_integration.keys_rotated", record=state.record, changes={},
                  settings_sealed=data["settings_sealed"])]

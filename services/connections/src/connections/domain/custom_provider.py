"""Custom provider aggregate (`cprov_<workspace>_<type>`): one workspace's private provider manifest.

Invariants:
- One live registration per workspace and type: registering a live one again is refused (replace it instead);
  a deleted one may be registered anew.
- Replacing or deleting needs a live one; deleting a deleted one changes nothing; a replacement identical to the
  manifest in force emits no event.
- The manifest arrives already validated by the catalogue's model (the service checks it; no I/O here).
"""

from __future__ import annotations

from typing import Any

from connections_contracts import custom_providers as cp
from connections_contracts.custom_provider_events import EVENT_MODELS
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent


def build(event_type: str, record: dict[str, Any]) -> NewEvent:
    model = EVENT_MODELS[event_type]
    data = model.model_validate({"record": record}).model_dump(mode="json")
    return NewEvent(type=event_type, data=data, schema_version=model.schema_version)


def fold(events: list[EventEnvelope]) -> dict[str, Any] | None:
    """The record in force (None before a registration)."""
    state: dict[str, Any] | None = None
    for event in events:
        state = dict(event.data["record"])
    return state


def decide(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
    state = fold(events)
    live = state is not None and not state.get("deleted")
    provider_type = cmd.data["type"]
    if cmd.type == cp.REGISTER:
        if live:
            raise CommandRejected("VALIDATION_ERROR", "A custom provider of that type is already registered: "
                                  "replace it.", {"pointer": "/type", "type": provider_type})
        return [build("custom_provider.registered", {"type": provider_type, "manifest": cmd.data["manifest"]})]
    if cmd.type == cp.DELETE:
        if state is not None and state.get("deleted"):
            return []
    if not live or state is None:
        raise CommandRejected("NOT_FOUND", "No custom provider of that type.", {"type": provider_type})
    if cmd.type == cp.DELETE:
        return [build("custom_provider.deleted", {"type": provider_type, "manifest": None, "deleted": True})]
    if cmd.type == cp.REPLACE:
        if state.get("manifest") == cmd.data["manifest"]:
            return []
        return [build("custom_provider.replaced", {"type": provider_type, "manifest": cmd.data["manifest"]})]
    raise CommandRejected("VALIDATION_ERROR", f"unknown command {cmd.type}")

"""Record aggregate: the lifecycle every declared CRM resource shares.

Invariants:
- A record is created once; updating or archiving a record that does not exist is NOT_FOUND.
- An archived record accepts no updates; archiving it again changes nothing.
- An update that changes no field emits no event.
Resource-specific rules run before the generic decision and may reject or add events (see crm.domain.rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from junction_common.contracts.resources import ResourceContract
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent


@dataclass(frozen=True)
class Record:
    record_id: str
    fields: dict[str, Any]
    archived: bool = False


def merge_patch(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """PATCH semantics: a dict value (`fields`, `custom_fields`) merges one level deep; others replace."""
    merged = dict(current)
    for key, value in patch.items():
        old = merged.get(key)
        merged[key] = {**old, **value} if isinstance(old, dict) and isinstance(value, dict) else value
    return merged


def evolve(state: Record | None, event: EventEnvelope) -> Record | None:
    verb = event.type.rsplit(".", 1)[-1]
    if verb == "created":
        return Record(event.stream_id, dict(event.data))
    if state is None:
        return None
    if verb == "archived":
        return Record(state.record_id, {**state.fields, **event.data}, archived=True)
    return Record(state.record_id, merge_patch(state.fields, event.data), state.archived)


def fold(events: list[EventEnvelope]) -> Record | None:
    state: Record | None = None
    for event in events:
        state = evolve(state, event)
    return state


def decide(contract: ResourceContract, cmd: CommandEnvelope, state: Record | None) -> list[NewEvent]:
    """The generic create/update/archive decision for `contract`'s records."""
    verb = cmd.type.rsplit(".", 1)[-1]
    if verb == "create":
        if state is not None:
            raise CommandRejected("VALIDATION_ERROR", f"{contract.name} already exists", {"id": cmd.aggregate_id})
        data = {**contract.defaults, **{k: v for k, v in cmd.data.items() if v is not None}}
        return [NewEvent(type=f"{contract.name}.created", data=data)]
    if state is None:
        raise CommandRejected("NOT_FOUND", f"The {contract.name} could not be found.")
    if verb == "archive":
        data = {"status": "archived"} if contract.archived_status else {}
        return [] if state.archived else [NewEvent(type=f"{contract.name}.archived", data=data)]
    if verb == "update":
        if state.archived:
            raise CommandRejected("VALIDATION_ERROR", f"An archived {contract.name} cannot be changed.")
        after = merge_patch(state.fields, cmd.data)
        changed = {k: after[k] for k in cmd.data if state.fields.get(k) != after[k]}
        return [NewEvent(type=f"{contract.name}.updated", data=changed)] if changed else []
    raise CommandRejected("VALIDATION_ERROR", f"unknown command {cmd.type}")

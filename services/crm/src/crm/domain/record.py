"""Record aggregate: the lifecycle every declared CRM resource shares.

Invariants:
- A record is created once; updating or archiving a record that does not exist is NOT_FOUND.
- An archived record accepts no updates; archiving it again changes nothing.
- An update that changes no field emits no event.
- Every event carries the record as the API presents it after the change (crm_contracts.events); a change
  also carries the fields it changed, which is what the fold applies.
Resource-specific rules run before the generic decision and may reject or add events (see crm.domain.rules).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from crm.domain import events as payloads
from junction_common.contracts.resources import ResourceContract
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent


@dataclass(frozen=True)
class Record:
    record_id: str
    fields: dict[str, Any]
    archived: bool = False
    created_at: str | None = None
    archived_at: str | None = None

    def view(self) -> dict[str, Any]:
        """The record as the API presents it, without its id and the timestamps its next event gives."""
        meta = {"archived": self.archived, "created_at": self.created_at, "archived_at": self.archived_at}
        return {**self.fields, **{k: v for k, v in meta.items() if v is not None}}


def merge_patch(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """PATCH semantics: a dict value (`fields`, `custom_fields`) merges one level deep; others replace."""
    merged = dict(current)
    for key, value in patch.items():
        old = merged.get(key)
        merged[key] = {**old, **value} if isinstance(old, dict) and isinstance(value, dict) else value
    return merged


def after(state: Record, verb: str, changes: dict[str, Any], at: str | None = None) -> Record:
    """The record after a change named `verb` (archived at `at`, when known)."""
    if verb == "archived":
        return replace(state, fields={**state.fields, **changes}, archived=True, archived_at=at)
    return replace(state, fields=merge_patch(state.fields, changes))


def evolve(state: Record | None, event: EventEnvelope) -> Record | None:
    verb = event.type.rsplit(".", 1)[-1]
    at = event.occurred_at.isoformat()
    if verb == "created":
        own = {k: v for k, v in event.data["record"].items() if k not in payloads.META}
        return Record(event.stream_id, own, created_at=at)
    if state is None:
        return None
    return after(state, verb, event.data["changes"], at)


def fold(events: list[EventEnvelope]) -> Record | None:
    state: Record | None = None
    for event in events:
        state = evolve(state, event)
    return state


def created(resource: str, fields: dict[str, Any]) -> NewEvent:
    """`<resource>.created`: a new, live record with `fields`."""
    return payloads.build(f"{resource}.created", record={**fields, "archived": False})


def change(state: Record, event_type: str, changes: dict[str, Any]) -> NewEvent:
    """`event_type` changing `state` by `changes`: the record after it, and the changes."""
    then = after(state, event_type.rsplit(".", 1)[-1], changes)
    return payloads.build(event_type, record=then.view(), changes=changes)


def decide(contract: ResourceContract, cmd: CommandEnvelope, state: Record | None) -> list[NewEvent]:
    """The generic create/update/archive decision for `contract`'s records."""
    verb = cmd.type.rsplit(".", 1)[-1]
    if verb == "create":
        if state is not None:
            raise CommandRejected("VALIDATION_ERROR", f"{contract.name} already exists", {"id": cmd.aggregate_id})
        return [created(contract.name, {**contract.defaults, **{k: v for k, v in cmd.data.items() if v is not None}})]
    if state is None:
        raise CommandRejected("NOT_FOUND", f"The {contract.name} could not be found.")
    if verb == "archive":
        data = {"status": "archived"} if contract.archived_status else {}
        return [] if state.archived else [change(state, f"{contract.name}.archived", data)]
    if verb == "update":
        if state.archived:
            raise CommandRejected("VALIDATION_ERROR", f"An archived {contract.name} cannot be changed.")
        merged = merge_patch(state.fields, cmd.data)
        changed = {k: merged[k] for k in cmd.data if state.fields.get(k) != merged[k]}
        return [change(state, f"{contract.name}.updated", changed)] if changed else []
    raise CommandRejected("VALIDATION_ERROR", f"unknown command {cmd.type}")

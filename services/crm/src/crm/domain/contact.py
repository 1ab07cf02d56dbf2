"""Contact aggregate.

Invariants:
- A contact is created once; its id is chosen by the caller (the gateway) and never reused.
- A contact belongs to exactly one workspace for its whole life.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm.domain.events import build
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent

CREATE_CONTACT = "CreateContact"
CONTACT_CREATED = "contact.created"

CONTACT_FIELDS = ("name", "email", "company_name", "company_id", "phone", "notes", "custom_fields")


@dataclass(frozen=True)
class Contact:
    contact_id: str
    workspace_id: str
    fields: dict[str, Any]


def evolve(state: Contact | None, event: EventEnvelope) -> Contact | None:
    """Fold one event into the contact's state."""
    if event.type == CONTACT_CREATED:
        return Contact(event.stream_id, event.workspace_id, dict(event.data["record"]))
    return state


def fold(events: list[EventEnvelope]) -> Contact | None:
    state: Contact | None = None
    for event in events:
        state = evolve(state, event)
    return state


def decide(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
    """A contact id is created once; creating it again is a conflict, not a second contact."""
    state = fold(events)
    if cmd.type == CREATE_CONTACT:
        if state is not None:
            raise CommandRejected("VALIDATION_ERROR", "contact already exists", {"id": cmd.aggregate_id})
        data = {k: cmd.data[k] for k in CONTACT_FIELDS if cmd.data.get(k) is not None}
        return [build(CONTACT_CREATED, record=data)]
    raise CommandRejected("VALIDATION_ERROR", f"unknown contact command {cmd.type}")

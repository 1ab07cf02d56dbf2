"""Custom integration event type (`iet_...`): a key unique per workspace and not a built-in type."""

from __future__ import annotations

from junction_common.decisions import CommandRejected, Decider
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent
from webhooks.domain.events import build


def decide_register(taken: bool) -> Decider:
    def decide(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
        if events:
            raise CommandRejected("VALIDATION_ERROR", "event type already exists", {"id": cmd.aggregate_id})
        if taken:
            raise CommandRejected("VALIDATION_ERROR", "an event type with this key already exists",
                                  {"pointer": "/key", "key": cmd.data.get("key")})
        record = {"key": cmd.data["key"], "category": cmd.data["category"],
                  "description": cmd.data.get("description"), "custom": True}
        return [build("integration_event_type.registered", record=record)]

    return decide

"""Which aggregate decides which command, and which topic each event type goes to."""

from __future__ import annotations

from crm import topics
from crm.domain import contact
from junction_common.decisions import CommandRejected, Decider
from junction_common.envelope import CommandEnvelope, EventEnvelope

_DECIDERS: dict[str, Decider] = {contact.CREATE_CONTACT: contact.decide}
_EVENT_TOPICS = {"contact": topics.CONTACT_EVENTS}


def _unknown(cmd: CommandEnvelope, _: list[EventEnvelope]) -> list[object]:
    raise CommandRejected("VALIDATION_ERROR", f"unknown command type {cmd.type}")


def decider_for(cmd: CommandEnvelope) -> Decider:
    return _DECIDERS.get(cmd.type, _unknown)  # type: ignore[arg-type]


def topic_for(event: EventEnvelope) -> str:
    """`contact.created` goes to `crm.contact.events`: the topic of its aggregate."""
    return _EVENT_TOPICS[event.type.split(".", 1)[0]]

"""Which decision handles which command; a command of no known type is refused with its type named, and
nothing is appended. Each aggregate adds its command types here as it is built."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from flows.domain import form, trigger, workflow
from flows_contracts import declarations as decl
from junction_common.decisions import CommandRejected, Decider, rejecting
from junction_common.envelope import CommandEnvelope, EventEnvelope

# Command type -> its aggregate's decision.
DECIDERS: dict[str, Decider] = {}
DECIDERS.update(workflow.DECIDERS)
DECIDERS.update(form.DECIDERS)
DECIDERS.update(trigger.DECIDERS)
# Event type prefix (`sync_run.`) -> the topic its aggregate's events go to.
EVENT_TOPICS: dict[str, str] = {}
EVENT_TOPICS.update({"workflow.executed": decl.EXECUTION_EVENTS, "workflow.": decl.WORKFLOW_EVENTS,
                     "execution.": decl.EXECUTION_EVENTS, "step.": decl.EXECUTION_EVENTS})
EVENT_TOPICS.update({"form.submitted": decl.FORM_SUBMISSION_EVENTS, "form.": decl.FORM_EVENTS})
EVENT_TOPICS.update({"flow_trigger.": decl.TRIGGER_EVENTS})


async def decider_for(cmd: CommandEnvelope, db: AsyncDatabase[dict[str, Any]]) -> Decider:
    decide = DECIDERS.get(cmd.type)
    if decide is not None:
        return decide
    return rejecting(CommandRejected("VALIDATION_ERROR", f"unknown command type {cmd.type}"))


def topic_for(event: EventEnvelope) -> str:
    return next((topic for start, topic in EVENT_TOPICS.items() if event.type.startswith(start)), decl.WORKFLOW_EVENTS)

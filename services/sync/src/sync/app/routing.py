"""Which decision handles which command; a command of no known type is refused with its type named, and
nothing is appended. Each aggregate adds its command types here as it is built."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from junction_common.decisions import CommandRejected, Decider, rejecting
from junction_common.envelope import CommandEnvelope, EventEnvelope
from sync.domain import cursor, run, run_notice, table
from sync_contracts import declarations as decl
from sync_contracts import events as runs_cx
from sync_contracts import tables as tables_cx

# Command type -> its aggregate's decision.
DECIDERS: dict[str, Decider] = {}
DECIDERS.update(dict.fromkeys(tables_cx.COMMANDS, table.decide))
DECIDERS.update({**dict.fromkeys(runs_cx.RUN_COMMANDS, run.decide),
                 **dict.fromkeys(runs_cx.CURSOR_COMMANDS, cursor.decide), runs_cx.NOTIFY: run_notice.decide})
# Event type prefix (`sync_run.`) -> the topic its aggregate's events go to.
EVENT_TOPICS: dict[str, str] = {}
EVENT_TOPICS.update({"table.": decl.TABLE_EVENTS, "record.": decl.RECORD_EVENTS})
EVENT_TOPICS.update({"sync_run.": decl.RUN_EVENTS, "sync.cursor_": decl.CURSOR_EVENTS,
                     "sync_notification.": decl.NOTIFICATION_EVENTS})


async def decider_for(cmd: CommandEnvelope, db: AsyncDatabase[dict[str, Any]]) -> Decider:
    decide = DECIDERS.get(cmd.type)
    if decide is not None:
        return decide
    return rejecting(CommandRejected("VALIDATION_ERROR", f"unknown command type {cmd.type}"))


def topic_for(event: EventEnvelope) -> str:
    return next((topic for start, topic in EVENT_TOPICS.items() if event.type.startswith(start)), decl.RUN_EVENTS)

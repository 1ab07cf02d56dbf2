"""Which decision handles which command. No command is handled yet (connections, OAuth and tenant integrations come
next), so every command is refused with its type named, and nothing is appended."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from connections_contracts import declarations as cx
from junction_common.decisions import CommandRejected, Decider, rejecting
from junction_common.envelope import CommandEnvelope, EventEnvelope


async def decider_for(cmd: CommandEnvelope, db: AsyncDatabase[dict[str, Any]]) -> Decider:
    return rejecting(CommandRejected("VALIDATION_ERROR", f"unknown command type {cmd.type}"))


def topic_for(event: EventEnvelope) -> str:
    return cx.CONNECTION_EVENTS

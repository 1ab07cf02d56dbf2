"""Which decision handles which command: the connection commands go to the connection aggregate; anything else
is refused with its type named, and nothing is appended."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from connections.domain import connection
from connections_contracts import connection as cx
from connections_contracts import declarations as decl
from junction_common.decisions import CommandRejected, Decider, rejecting
from junction_common.envelope import CommandEnvelope, EventEnvelope


async def decider_for(cmd: CommandEnvelope, db: AsyncDatabase[dict[str, Any]]) -> Decider:
    if cmd.type in cx.COMMANDS:
        return connection.decide
    return rejecting(CommandRejected("VALIDATION_ERROR", f"unknown command type {cmd.type}"))


def topic_for(event: EventEnvelope) -> str:
    return decl.CONNECTION_EVENTS

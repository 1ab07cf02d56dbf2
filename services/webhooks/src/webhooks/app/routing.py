"""Which decision handles which command, with the facts it needs (URL safety, key uniqueness) gathered first."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from junction_common.decisions import CommandRejected, Decider, rejecting
from junction_common.envelope import CommandEnvelope, EventEnvelope
from webhooks.delivery.address_policy import AddressPolicy, UnsafeTarget
from webhooks.domain import endpoint, event_type
from webhooks_contracts import declarations as wh
from webhooks_contracts.catalogue import event_catalogue

ENDPOINT_COMMANDS = (wh.CREATE_ENDPOINT, wh.UPDATE_ENDPOINT, wh.DELETE_ENDPOINT, wh.ROTATE_SECRET,
                     wh.DISABLE_ENDPOINT, wh.ROTATE_KEYS)


def decider_for_policy(policy: AddressPolicy) -> Any:
    async def decider_for(cmd: CommandEnvelope, db: AsyncDatabase[dict[str, Any]]) -> Decider:
        if cmd.type in ENDPOINT_COMMANDS:
            url = cmd.data.get("url")
            if url is not None and cmd.type in (wh.CREATE_ENDPOINT, wh.UPDATE_ENDPOINT):
                try:
                    await policy.check(str(url))
                except UnsafeTarget as exc:
                    return rejecting(CommandRejected("VALIDATION_ERROR", f"The webhook URL is not allowed: {exc}",
                                                     {"pointer": "/url", "message": str(exc)}))
            return endpoint.decide
        if cmd.type == wh.REGISTER_EVENT_TYPE:
            key = cmd.data.get("key")
            builtin = any(t.key == key for t in event_catalogue())
            custom = await db[wh.EVENT_TYPES].find_one({"workspace_id": cmd.workspace_id, "key": key}, {"_id": 1})
            return event_type.decide_register(builtin or custom is not None)
        return rejecting(CommandRejected("VALIDATION_ERROR", f"unknown command type {cmd.type}"))

    return decider_for


def topic_for(event: EventEnvelope) -> str:
    return wh.EVENT_TYPE_EVENTS if event.type.startswith("integration_event_type.") else wh.ENDPOINT_EVENTS

"""Which aggregate decides which command, and which topic each event type goes to."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from crm import topics
from crm.app import bi as bi_app
from crm.app import records
from crm.domain import asset, bi, contact, invoice
from junction_common.contracts.resources import ResourceContract
from junction_common.decisions import CommandRejected, Decider
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent

_EVENT_TOPICS = {"contact": topics.CONTACT_EVENTS, **{c.name: c.events_topic for c in records.BY_NAME.values()}}


def _unknown(cmd: CommandEnvelope, _: list[EventEnvelope]) -> list[NewEvent]:
    raise CommandRejected("VALIDATION_ERROR", f"unknown command type {cmd.type}")


async def decider_for(cmd: CommandEnvelope, db: AsyncDatabase[dict[str, Any]]) -> Decider:
    """The decision for `cmd`, with the facts from read models its rules need already gathered."""
    if cmd.type == contact.CREATE_CONTACT:
        return await records.after_links("contact", cmd, db, contact.decide)
    if cmd.type == asset.COMPLETE:
        return asset.decide_complete
    if cmd.type == invoice.CREATE:
        context = await _invoice_context(cmd, db)
        return await records.after_links("invoice", cmd, db, lambda c, e: invoice.decide(c, e, context))
    if cmd.type == invoice.APPLY_PAYMENT:
        return lambda c, e: invoice.decide(c, e, {})
    if cmd.type in (bi.COMPLETE_EXPORT, bi.FAIL_EXPORT):
        return bi.decide_export_result
    contract = records.BY_NAME.get(cmd.type.rsplit(".", 1)[0])
    if contract is None:
        return _unknown
    context = await records.load_context(contract, cmd, db)
    if contract.name in bi.NAMES:
        return bi_app.decider(contract, {**context, **await bi_app.load_context(contract, cmd, db)})
    return records.decider(contract, context)


async def _invoice_context(cmd: CommandEnvelope, db: AsyncDatabase[dict[str, Any]]) -> dict[str, Any]:
    number = cmd.data.get("invoice_number")
    taken = await db["invoices"].find_one({"workspace_id": cmd.workspace_id, "invoice_number": number}, {"_id": 1})
    return {"invoice_numbers": {number} if taken else set()}


def contract_named(name: str) -> ResourceContract:
    return records.BY_NAME[name]


def topic_for(event: EventEnvelope) -> str:
    """`deal.updated` goes to `crm.deal.events`: the topic of its aggregate."""
    return _EVENT_TOPICS[event.type.rsplit(".", 1)[0]]

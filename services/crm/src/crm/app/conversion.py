"""Lead conversion: link or create the contact and company, optionally a deal, then mark the lead converted.

Every step is its own command with an id derived from the conversion's command id, run through the
executor: a redelivered or retried conversion replays the steps as no-ops and creates nothing twice.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from crm.app.records import BY_NAME
from crm.domain import contact, lead, record
from junction_common.decisions import CommandRejected, rejecting
from junction_common.envelope import CommandEnvelope
from junction_common.service import ServiceRuntime

Doc = dict[str, Any]


async def _facts(db: AsyncDatabase[Doc], workspace_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Existing contact (same email) and company (same name) to link, and the deal stages."""
    facts: dict[str, Any] = {}
    if fields.get("email"):
        found = await db["contacts"].find_one({"workspace_id": workspace_id, "email": fields["email"]}, {"_id": 1})
        facts["contact_id"] = found["_id"] if found else None
    if fields.get("company_name"):
        found = await db["companies"].find_one({"workspace_id": workspace_id, "name": fields["company_name"],
                                                "archived": False}, {"_id": 1})
        facts["company_id"] = found["_id"] if found else None
    stages = await db["deal_stages"].find({"workspace_id": workspace_id, "archived": False}).sort(
        "position", 1).to_list()
    facts["stage_keys"] = {s["key"] for s in stages}
    facts["first_stage"] = stages[0]["key"] if stages else None
    return facts


async def convert_lead(runtime: ServiceRuntime, cmd: CommandEnvelope) -> None:
    """Handle `lead.convert`."""
    events, _ = await runtime.store.load(cmd.aggregate_id)
    state = record.fold(events) if events and events[0].workspace_id == cmd.workspace_id else None
    try:
        if state is not None and state.fields.get("status") == "converted" and \
                await runtime.store.find_commit(cmd.command_id) is not None:
            return  # this very conversion already finished: a redelivery
        facts = await _facts(runtime.db, cmd.workspace_id, state.fields if state else {})
        p = lead.plan(state, cmd.data, facts, cmd.aggregate_id.split("_", 1)[-1]) if state else None
        if p is None:
            lead.check_convertible(None)
    except CommandRejected as rejected:
        await runtime.executor.execute(cmd, rejecting(rejected))
        return
    assert state is not None and p is not None
    await _run_steps(runtime, cmd, state.fields, p)
    await runtime.executor.execute(cmd, lambda _c, e: lead.converted(record.fold(e), p))


async def _run_steps(runtime: ServiceRuntime, cmd: CommandEnvelope, fields: dict[str, Any],
                     p: lead.ConversionPlan) -> None:
    company = BY_NAME["company"]
    if p.create_company and p.company_id:
        step = cmd.derive("company", company.command("create"), p.company_id, {"name": fields["company_name"]})
        await runtime.executor.execute(step, lambda c, e: record.decide(company, c, record.fold(e)))
    if p.create_contact:
        data = {k: fields[k] for k in ("name", "email", "company_name", "notes") if fields.get(k)}
        if p.company_id:
            data["company_id"] = p.company_id
        await runtime.executor.execute(cmd.derive("contact", contact.CREATE_CONTACT, p.contact_id, data),
                                       contact.decide)
    if p.deal_id:
        deal = BY_NAME["deal"]
        data = {"name": cmd.data.get("deal_name") or f"{fields['name']} deal", "stage": p.deal_stage,
                "contact_id": p.contact_id, "company_id": p.company_id}
        step = cmd.derive("deal", deal.command("create"), p.deal_id, {k: v for k, v in data.items() if v})
        await runtime.executor.execute(step, lambda c, e: record.decide(deal, c, record.fold(e)))

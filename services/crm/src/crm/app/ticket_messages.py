"""Adding a ticket message; the first outbound one records the first-response time against the queue target.

Both steps are idempotent commands (the second's id derives from the first's), so a redelivery finishes
what a crash interrupted and repeats nothing.
"""

from __future__ import annotations

from crm.app import records
from crm.domain import record
from junction_common.envelope import CommandEnvelope, utcnow
from junction_common.service import ServiceRuntime
from junction_common.store.outcomes import SUCCEEDED

CREATE_MESSAGE = "ticket_message.create"


async def add_ticket_message(runtime: ServiceRuntime, cmd: CommandEnvelope) -> None:
    """Handle `ticket_message.create`."""
    contract = records.BY_NAME["ticket_message"]
    await runtime.executor.execute(cmd, records.decider(contract, await records.load_context(contract, cmd,
                                                                                             runtime.db)))
    outcome = await runtime.db["command_outcomes"].find_one({"_id": cmd.command_id})
    if outcome is None or outcome["status"] != SUCCEEDED or cmd.data.get("direction") != "outbound":
        return
    await _record_first_response(runtime, cmd)


async def _record_first_response(runtime: ServiceRuntime, cmd: CommandEnvelope) -> None:
    ticket_id = str(cmd.data["ticket_id"])
    events, _ = await runtime.store.load(ticket_id)
    state = record.fold(events)
    if state is None or "first_response_at" in state.fields:
        return
    answered = utcnow()
    minutes = int((answered - events[0].occurred_at).total_seconds() // 60)
    data: dict[str, object] = {"first_response_at": answered.isoformat(), "first_response_minutes": minutes,
                               "first_response_message_id": cmd.aggregate_id}
    queue_id = state.fields.get("queue_id")
    if queue_id:
        queue = await runtime.db["support_queues"].find_one({"_id": queue_id}, {"first_response_target_minutes": 1})
        target = (queue or {}).get("first_response_target_minutes")
        if target is not None:
            data["first_response_target_minutes"] = target
            data["first_response_breached"] = minutes > int(target)
    ticket = records.BY_NAME["ticket"]
    step = cmd.derive("first_response", ticket.command("update"), ticket_id, data)
    await runtime.executor.execute(step, records.decider(ticket, {}))

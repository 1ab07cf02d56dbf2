"""Recording a payment: apply it to the invoice (which guards the balance), then record the payment.

Both steps are idempotent commands whose ids derive from the payment command's id.
"""

from __future__ import annotations

from typing import Any

from crm.app.records import links_refused
from crm.app.routing import contract_named
from crm.domain import invoice, record
from junction_common.decisions import CommandRejected, rejecting
from junction_common.envelope import CommandEnvelope
from junction_common.service import ServiceRuntime
from junction_common.store.outcomes import REJECTED

PAYMENT_CREATE = "payment.create"


async def record_payment(runtime: ServiceRuntime, cmd: CommandEnvelope) -> None:
    """Handle `payment.create`: a payment names an invoice of the workspace (else VALIDATION_ERROR at
    /invoice_id, like every link)."""
    refused = await links_refused("payment", cmd, runtime.db)
    if refused is not None:
        await runtime.executor.execute(cmd, rejecting(refused))
        return
    step = cmd.derive("invoice", invoice.APPLY_PAYMENT, cmd.data["invoice_id"],
                      {"payment_id": cmd.aggregate_id, "amount_cents": cmd.data["amount_cents"]})
    await runtime.executor.execute(step, lambda c, e: invoice.decide(c, e, {}))
    outcome = await runtime.db["command_outcomes"].find_one({"_id": step.command_id})
    if outcome is not None and outcome["status"] == REJECTED:
        error: dict[str, Any] = outcome.get("error") or {}
        rejected = CommandRejected(error.get("code", "VALIDATION_ERROR"), error.get("message", "rejected"),
                                   error.get("details") or {})
        await runtime.executor.execute(cmd, rejecting(rejected))
        return
    payment = contract_named("payment")
    await runtime.executor.execute(cmd, lambda c, e: record.decide(payment, c, record.fold(e)))

"""Invoice aggregate.

Invariants:
- Totals are computed from the line items: subtotal = sum(quantity x unit amount), tax = sum(tax), total.
- `invoice_number` is unique in the workspace.
- A payment never exceeds the balance due; a void invoice takes no payment; the status follows the amount
  paid (partially_paid, then paid, announced with `invoice.paid`).
"""

from __future__ import annotations

from typing import Any

from crm.domain import record
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent

CREATE = "invoice.create"
APPLY_PAYMENT = "invoice.apply_payment"


def totals(line_items: list[dict[str, Any]]) -> dict[str, int]:
    subtotal = sum(int(li.get("quantity", 1)) * int(li["unit_amount_cents"]) for li in line_items)
    tax = sum(int(li.get("tax_cents", 0)) for li in line_items)
    return {"subtotal_cents": subtotal, "tax_cents": tax, "total_cents": subtotal + tax}


def decide(cmd: CommandEnvelope, events: list[EventEnvelope], context: dict[str, Any]) -> list[NewEvent]:
    state = record.fold(events)
    if cmd.type == CREATE:
        if state is not None:
            raise CommandRejected("VALIDATION_ERROR", "invoice already exists", {"id": cmd.aggregate_id})
        if cmd.data["invoice_number"] in context.get("invoice_numbers", ()):
            raise CommandRejected("VALIDATION_ERROR", "invoice_number must be unique in the workspace.",
                                  {"pointer": "/invoice_number", "invoice_number": cmd.data["invoice_number"]})
        sums = totals(cmd.data["line_items"])
        data = {**cmd.data, **sums, "amount_paid_cents": 0, "balance_due_cents": sums["total_cents"]}
        return [record.created("invoice", data)]
    if cmd.type == APPLY_PAYMENT:
        return _apply_payment(cmd, state)
    raise CommandRejected("VALIDATION_ERROR", f"unknown command {cmd.type}")


def _apply_payment(cmd: CommandEnvelope, state: record.Record | None) -> list[NewEvent]:
    if state is None:
        raise CommandRejected("NOT_FOUND", "The invoice could not be found.", {"pointer": "/invoice_id"})
    fields = state.fields
    if fields.get("status") == "void":
        raise CommandRejected("VALIDATION_ERROR", "A void invoice takes no payment.", {"pointer": "/invoice_id"})
    amount, balance = int(cmd.data["amount_cents"]), int(fields["balance_due_cents"])
    if amount > balance:
        raise CommandRejected("VALIDATION_ERROR", "The payment exceeds the invoice's balance due.",
                              {"pointer": "/amount_cents", "amount_cents": amount, "balance_due_cents": balance})
    paid, left = int(fields["amount_paid_cents"]) + amount, balance - amount
    status = "paid" if left == 0 else "partially_paid"
    changes = {"amount_paid_cents": paid, "balance_due_cents": left, "status": status,
               "last_payment_id": cmd.data["payment_id"]}
    applied = record.change(state, "invoice.payment_applied", changes)
    if left:
        return [applied]
    return [applied, record.change(record.after(state, "payment_applied", changes), "invoice.paid", {"status": "paid"})]

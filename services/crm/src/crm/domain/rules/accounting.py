"""Ledger accounts and journal entries.

- accounting_account: its code is unique in the workspace.
- journal_entry: every line is one-sided (exactly one of debit_cents/credit_cents above zero); a posted entry
  balances (sum of debits equals sum of credits), else the totals and the imbalance are in the error details;
  every line's account exists in the workspace.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm.domain.record import Record
from crm.domain.rules.base import Context, Rule, reject
from junction_common.envelope import CommandEnvelope


def _amounts(line: Mapping[str, Any]) -> tuple[int, int]:
    return int(line.get("debit_cents") or 0), int(line.get("credit_cents") or 0)


def _lines_one_sided(cmd: CommandEnvelope, _: Record | None, __: Context) -> None:
    for index, line in enumerate(cmd.data.get("lines") or ()):
        debit, credit = _amounts(line)
        if (debit > 0) == (credit > 0):
            raise reject("Each journal line needs exactly one of debit_cents or credit_cents above zero.",
                         f"/lines/{index}", debit_cents=debit, credit_cents=credit)


def _posted_entry_balances(cmd: CommandEnvelope, _: Record | None, __: Context) -> None:
    if cmd.data.get("status", "posted") != "posted":
        return
    totals = [_amounts(line) for line in cmd.data.get("lines") or ()]
    debits, credits = sum(d for d, _ in totals), sum(c for _, c in totals)
    if debits != credits:
        raise reject("A posted journal entry must balance: total debits must equal total credits.", "/lines",
                     debits_cents=debits, credits_cents=credits, imbalance_cents=abs(debits - credits))


RULES: dict[str, list[Rule]] = {"journal_entry": [_lines_one_sided, _posted_entry_balances]}
UNIQUE: dict[str, tuple[str, ...]] = {"accounting_account": ("code",)}

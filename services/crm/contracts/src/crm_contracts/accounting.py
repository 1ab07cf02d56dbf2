"""Accounting resource contracts (workspace-api.txt, group Deals): ledger accounts and journal entries."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from crm_contracts.common import Body, Cents, Currency, Day, Id, Name, Text
from junction_common.contracts.resources import Filter, LinkField, Operations, ResourceContract

ACCOUNT_TYPES = ("asset", "liability", "equity", "revenue", "expense")
JOURNAL_STATUSES = ("draft", "posted")
AccountCode = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


class AccountCreate(Body):
    code: AccountCode
    name: Name
    type: Literal[ACCOUNT_TYPES]  # type: ignore[valid-type]
    description: Text | None = None
    currency: Currency | None = None


class JournalLine(Body):
    """One side only: a debit or a credit (checked by the journal entry rules, with a pointer to the line)."""

    account_id: Id
    debit_cents: Cents | None = None
    credit_cents: Cents | None = None
    description: Text | None = None


class JournalEntryCreate(Body):
    status: Literal[JOURNAL_STATUSES] = "posted"  # type: ignore[valid-type]
    lines: list[JournalLine] = Field(min_length=2, max_length=500)
    entry_date: Day | None = None
    memo: Text | None = None
    reference: Annotated[str, Field(max_length=200)] | None = None
    currency: Currency | None = None


ACCOUNTING_ACCOUNT = ResourceContract(
    name="accounting_account", prefix="acct", path="/v1/accounting/accounts", collection="accounting_accounts",
    create_model=AccountCreate,
    operations=Operations(list="listAccountingAccounts", create="createAccountingAccount"),
    filters=(Filter("type", ACCOUNT_TYPES),), search_fields=("code", "name", "description"), tag="Deals")
JOURNAL_ENTRY = ResourceContract(
    name="journal_entry", prefix="je", path="/v1/accounting/journal-entries", collection="journal_entries",
    create_model=JournalEntryCreate,
    operations=Operations(list="listJournalEntries", create="createJournalEntry"),
    filters=(Filter("status", JOURNAL_STATUSES),), search_fields=("memo", "reference"),
    links=(LinkField("/lines/*/account_id", "accounting_account"),), tag="Deals")

ACCOUNTING_RESOURCES: tuple[ResourceContract, ...] = (ACCOUNTING_ACCOUNT, JOURNAL_ENTRY)

"""Accounting rules on given facts: unique account codes; one-sided, balanced journal entries on live accounts."""

from __future__ import annotations

from typing import Any

import pytest

from crm.domain import rules
from junction_common.decisions import CommandRejected
from junction_common.envelope import Actor, CommandEnvelope


def command(type_: str, **data: Any) -> CommandEnvelope:
    return CommandEnvelope(type=type_, aggregate_id="je_1", workspace_id="wrk_1",
                           actor=Actor(kind="api_key", id="key_1"), request_id="req_1", data=data)


def entry(*lines: dict[str, Any], status: str = "posted") -> CommandEnvelope:
    return command("journal_entry.create", status=status, lines=list(lines))


def rejection(resource: str, cmd: CommandEnvelope, context: dict[str, Any] | None = None) -> dict[str, Any]:
    with pytest.raises(CommandRejected) as caught:
        rules.check(resource, cmd, None, context or {})
    assert caught.value.code == "VALIDATION_ERROR"
    return dict(caught.value.details or {})


def test_account_code_is_unique() -> None:
    cmd = command("accounting_account.create", code="4000", name="Services revenue", type="revenue")
    rules.check("accounting_account", cmd, None, {"taken": {}})
    assert rejection("accounting_account", cmd, {"taken": {"code": {"4000"}}}) == {"pointer": "/code",
                                                                                   "code": "4000"}


def test_balanced_entry_passes() -> None:
    cmd = entry({"account_id": "acct_cash", "debit_cents": 10000},
                {"account_id": "acct_ar", "credit_cents": 6000}, {"account_id": "acct_tax", "credit_cents": 4000})
    rules.check("journal_entry", cmd, None, {"missing_links": []})


def test_unbalanced_posted_entry_reports_totals_and_imbalance() -> None:
    cmd = entry({"account_id": "acct_cash", "debit_cents": 10000}, {"account_id": "acct_ar", "credit_cents": 9000})
    assert rejection("journal_entry", cmd) == {"pointer": "/lines", "debits_cents": 10000, "credits_cents": 9000,
                                               "imbalance_cents": 1000}
    cmd = entry({"account_id": "acct_cash", "debit_cents": 100}, {"account_id": "acct_ar", "credit_cents": 250})
    assert rejection("journal_entry", cmd)["imbalance_cents"] == 150


def test_status_defaults_to_posted_and_a_draft_may_be_unbalanced() -> None:
    lines = [{"account_id": "acct_cash", "debit_cents": 10000}, {"account_id": "acct_ar", "credit_cents": 1}]
    assert rejection("journal_entry", command("journal_entry.create", lines=lines))["imbalance_cents"] == 9999
    rules.check("journal_entry", entry(*lines, status="draft"), None, {})


@pytest.mark.parametrize("line", [
    {"account_id": "acct_cash", "debit_cents": 100, "credit_cents": 100},
    {"account_id": "acct_cash"},
    {"account_id": "acct_cash", "debit_cents": 0, "credit_cents": 0},
])
def test_every_line_has_exactly_one_side(line: dict[str, Any]) -> None:
    cmd = entry({"account_id": "acct_ar", "credit_cents": 100}, line)
    details = rejection("journal_entry", cmd)
    assert details["pointer"] == "/lines/1"


def test_a_zero_other_side_is_one_sided() -> None:
    cmd = entry({"account_id": "acct_cash", "debit_cents": 500, "credit_cents": 0},
                {"account_id": "acct_ar", "debit_cents": 0, "credit_cents": 500})
    rules.check("journal_entry", cmd, None, {})


def test_every_account_must_exist() -> None:
    cmd = entry({"account_id": "acct_cash", "debit_cents": 100}, {"account_id": "acct_gone", "credit_cents": 100})
    links = rules.links_of("journal_entry", cmd.data)
    assert [(link.pointer, link.target, link.id) for link in links] == [
        ("/lines/0/account_id", "accounting_account", "acct_cash"),
        ("/lines/1/account_id", "accounting_account", "acct_gone")]
    details = rejection("journal_entry", cmd, {"missing_links": [{"pointer": "/lines/1/account_id",
                                                                  "id": "acct_gone"}]})
    assert details["pointer"] == "/lines/1/account_id" and details["id"] == "acct_gone"


def test_shape_and_balance_are_checked_before_accounts() -> None:
    cmd = entry({"account_id": "acct_gone", "debit_cents": 100}, {"account_id": "acct_gone2", "credit_cents": 1})
    missing = [{"pointer": "/lines/0/account_id", "id": "acct_gone"}]
    assert rejection("journal_entry", cmd, {"missing_links": missing})["pointer"] == "/lines"

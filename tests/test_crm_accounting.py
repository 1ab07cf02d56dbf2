"""Accounting through the gateway: account codes unique per workspace, account types, journal entries that
balance, are one-sided per line and post only to existing accounts."""

from __future__ import annotations

import pytest

from tests.api import call, ids

pytestmark = pytest.mark.integration


async def accounts(http, base, key):
    made = {}
    for code, name, type_ in (("1000", "Cash", "asset"), ("1200", "Accounts receivable", "asset"),
                              ("4000", "Services revenue", "revenue")):
        status, body = await call(http, "POST", f"{base}/v1/accounting/accounts", key,
                                  {"code": code, "name": name, "type": type_})
        assert status == 201 and body["data"]["id"].startswith("acct_") and body["data"]["code"] == code, body
        made[code] = body["data"]["id"]
    return made


async def test_accounts_unique_code_types_and_search(gateway, crm_service, workspace, http):
    from conftest import create_workspace

    _, key = workspace
    base = gateway.url
    url = f"{base}/v1/accounting/accounts"
    made = await accounts(http, base, key)
    status, body = await call(http, "POST", url, key, {"code": "4000", "name": "Other revenue", "type": "revenue"})
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR"
    assert body["error"]["details"] == {"pointer": "/code", "code": "4000"}
    _, other_key = await create_workspace(gateway.settings, "Other", "business")
    status, _ = await call(http, "POST", url, other_key, {"code": "4000", "name": "Revenue", "type": "revenue"})
    assert status == 201
    status, body = await call(http, "POST", url, key, {"code": "9000", "name": "Odd", "type": "income"})
    assert status == 422
    assert await ids(http, f"{url}?type=asset", key) == sorted([made["1000"], made["1200"]])
    assert await ids(http, f"{url}?type=revenue", key) == [made["4000"]]
    assert await ids(http, f"{url}?query=receivable", key) == [made["1200"]]
    assert await ids(http, f"{url}?query=4000", key) == [made["4000"]]
    status, body = await call(http, "GET", f"{url}?type=income", key)
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR"


async def test_balanced_entry_is_posted_and_listed(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    url = f"{base}/v1/accounting/journal-entries"
    made = await accounts(http, base, key)
    entry = {"status": "posted", "memo": "March retainer", "lines": [
        {"account_id": made["1200"], "debit_cents": 10000},
        {"account_id": made["4000"], "credit_cents": 10000}]}
    status, body = await call(http, "POST", url, key, entry)
    assert status == 201 and body["data"]["id"].startswith("je_") and body["data"]["status"] == "posted", body
    assert body["data"]["lines"] == entry["lines"]
    posted = body["data"]["id"]
    draft = {"status": "draft", "lines": [{"account_id": made["1000"], "debit_cents": 500},
                                          {"account_id": made["1200"], "credit_cents": 400}]}
    status, body = await call(http, "POST", url, key, draft)
    assert status == 201 and body["data"]["status"] == "draft", body
    assert await ids(http, f"{url}?status=posted", key) == [posted]
    assert await ids(http, f"{url}?query=retainer", key) == [posted]
    status, _ = await call(http, "GET", f"{url}?status=void", key)
    assert status == 422


async def test_unbalanced_entry_reports_the_imbalance(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    made = await accounts(http, base, key)
    entry = {"lines": [{"account_id": made["1000"], "debit_cents": 10000},
                       {"account_id": made["4000"], "credit_cents": 7500},
                       {"account_id": made["1200"], "credit_cents": 2000}]}
    status, body = await call(http, "POST", f"{base}/v1/accounting/journal-entries", key, entry)
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR", body
    assert body["error"]["details"] == {"pointer": "/lines", "debits_cents": 10000, "credits_cents": 9500,
                                        "imbalance_cents": 500}
    assert await ids(http, f"{base}/v1/accounting/journal-entries", key) == []


async def test_lines_one_sided_and_accounts_exist(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    url = f"{base}/v1/accounting/journal-entries"
    made = await accounts(http, base, key)
    both = {"lines": [{"account_id": made["1000"], "debit_cents": 100, "credit_cents": 100},
                      {"account_id": made["4000"], "credit_cents": 0, "debit_cents": 0}]}
    status, body = await call(http, "POST", url, key, both)
    assert status == 422 and body["error"]["details"]["pointer"] == "/lines/0", body
    status, body = await call(http, "POST", url, key, {"lines": [{"account_id": made["1000"], "debit_cents": -5},
                                                                 {"account_id": made["4000"], "credit_cents": 5}]})
    assert status == 422
    status, body = await call(http, "POST", url, key, {"lines": [{"account_id": made["1000"], "debit_cents": 5}]})
    assert status == 422
    seed = {"status": "posted", "lines": [{"account_id": "acct_cash", "debit_cents": 10000},
                                          {"account_id": made["1200"], "credit_cents": 10000}]}
    status, body = await call(http, "POST", url, key, seed)
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR", body
    assert body["error"]["details"]["pointer"] == "/lines/0/account_id"
    assert body["error"]["details"]["missing"] == [{"pointer": "/lines/0/account_id", "id": "acct_cash"}]

"""Invoices and payments: totals computed, unique numbers, payments never above the balance, status follows."""

from __future__ import annotations

import pytest

from tests.api import call

pytestmark = pytest.mark.integration

INVOICE = {
    "invoice_number": "INV-1001",
    "line_items": [
        {"kind": "service", "name": "Website redesign", "unit_amount_cents": 500000},
        {"kind": "product", "name": "Hosting", "quantity": 3, "unit_amount_cents": 1000, "tax_cents": 600},
    ],
}


async def pay(http, base, key, invoice_id, cents):
    return await call(http, "POST", f"{base}/v1/payments", key, {"invoice_id": invoice_id, "amount_cents": cents})


async def test_invoice_totals_unique_number_and_payments(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    status, body = await call(http, "POST", f"{base}/v1/invoices", key, INVOICE)
    assert status == 201, body
    inv = body["data"]
    assert (inv["subtotal_cents"], inv["tax_cents"], inv["total_cents"]) == (503000, 600, 503600)
    assert inv["balance_due_cents"] == 503600 and inv["status"] == "draft"
    status, body = await call(http, "POST", f"{base}/v1/invoices", key, INVOICE)
    assert status == 422 and body["error"]["details"]["pointer"] == "/invoice_number"
    status, body = await call(
        http, "POST", f"{base}/v1/payments", key, {"invoice_id": inv["id"], "amount_cents": 250000}
    )
    assert status == 201 and body["data"]["amount_cents"] == 250000 and body["data"]["id"].startswith("pay_")
    status, body = await call(
        http, "POST", f"{base}/v1/payments", key, {"invoice_id": inv["id"], "amount_cents": 999999}
    )
    assert status == 422 and body["error"]["details"]["balance_due_cents"] == 253600
    _, body = await call(http, "GET", f"{base}/v1/invoices?status=partially_paid", key)
    assert [i["id"] for i in body["data"]] == [inv["id"]] and body["data"][0]["amount_paid_cents"] == 250000
    status, body = await call(
        http, "POST", f"{base}/v1/payments", key, {"invoice_id": inv["id"], "amount_cents": 253600}
    )
    assert status == 201
    _, body = await call(http, "GET", f"{base}/v1/invoices?status=paid", key)
    assert body["data"][0]["balance_due_cents"] == 0
    status, body = await pay(http, base, key, inv["id"], 1)
    assert status == 422
    status, body = await call(
        http, "POST", f"{base}/v1/payments", key, {"invoice_id": "inv_missing", "amount_cents": 1}
    )
    assert status == 422 and body["error"]["details"]["pointer"] == "/invoice_id", body  # an id in a body
    events = await crm_service.store.load(inv["id"])
    assert [e.type for e in events[0]][-2:] == ["invoice.payment_applied", "invoice.paid"]

"""Invoices and payments (workspace-api.txt): amounts are integer cents with an ISO currency."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from junction_common.contracts.resources import Filter, LinkField, Operations, ResourceContract

INVOICE_STATUSES = ("draft", "sent", "partially_paid", "paid", "void")
LINE_KINDS = ("product", "service", "fee", "discount", "expense", "other")
Cents = Annotated[int, Field(ge=0, le=10**13)]
Id = Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[a-z]+_[A-Za-z0-9]+$")]


class LineItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal[LINE_KINDS]  # type: ignore[valid-type]
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    quantity: int = Field(default=1, ge=1, le=1_000_000)
    unit_amount_cents: Cents
    tax_cents: Cents = 0


class InvoiceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_number: str = Field(min_length=1, max_length=64)
    line_items: list[LineItem] = Field(min_length=1, max_length=500)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    status: Literal["draft", "sent"] = "draft"
    company_id: Id | None = None
    contact_id: Id | None = None
    deal_id: Id | None = None
    due_date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_id: Id
    amount_cents: int = Field(ge=1, le=10**13)
    method: str | None = Field(default=None, max_length=64)
    paid_at: str | None = Field(default=None, max_length=40)


INVOICE = ResourceContract(
    name="invoice", prefix="inv", path="/v1/invoices", collection="invoices", create_model=InvoiceCreate,
    operations=Operations(list="listInvoices", create="createInvoice"),
    filters=(Filter("status", INVOICE_STATUSES), Filter("company_id"), Filter("contact_id"), Filter("deal_id")),
    links=(LinkField("/company_id", "company"), LinkField("/contact_id", "contact"), LinkField("/deal_id", "deal")),
    tag="Invoices")
PAYMENT = ResourceContract(
    name="payment", prefix="pay", path="/v1/payments", collection="payments", create_model=PaymentCreate,
    operations=Operations(create="recordPayment"), filters=(Filter("invoice_id"),),
    links=(LinkField("/invoice_id", "invoice"),), tag="Invoices")

BILLING_RESOURCES: tuple[ResourceContract, ...] = (INVOICE, PAYMENT)

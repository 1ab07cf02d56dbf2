"""Lead conversion.

Invariants:
- Only a lead that is neither converted nor disqualified can be converted.
- Conversion links or creates the contact and company (and optionally a deal) before the lead is marked
  converted; each step has an id derived from the conversion command, so a retried conversion never
  creates a second contact, company or deal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm.domain.record import Record, change
from junction_common.decisions import CommandRejected
from junction_common.envelope import NewEvent

CONVERT = "lead.convert"


@dataclass(frozen=True)
class ConversionPlan:
    """What converting a lead will do: ids to link (existing) or create (new)."""

    contact_id: str
    create_contact: bool
    company_id: str | None
    create_company: bool
    deal_id: str | None
    deal_stage: str | None


def check_convertible(lead: Record | None) -> None:
    if lead is None:
        raise CommandRejected("NOT_FOUND", "The lead could not be found.")
    status = lead.fields.get("status")
    if status in ("converted", "disqualified"):
        raise CommandRejected("VALIDATION_ERROR", f"A {status} lead cannot be converted.",
                              {"pointer": "/status", "status": status})


def plan(lead: Record, request: dict[str, Any], facts: dict[str, Any], base: str) -> ConversionPlan:
    """Decide links and creations from the lead, the request and what the workspace already holds."""
    check_convertible(lead)
    contact_id = facts.get("contact_id") or f"con_{base}"
    company_id = facts.get("company_id") or (f"com_{base}" if lead.fields.get("company_name") else None)
    deal_id, stage = None, None
    if request.get("create_deal"):
        stage = request.get("deal_stage") or facts.get("first_stage")
        if stage is None or stage not in facts.get("stage_keys", ()):
            raise CommandRejected("VALIDATION_ERROR", "Creating a deal needs an existing deal stage.",
                                  {"pointer": "/deal_stage", "stage": stage})
        deal_id = f"deal_{base}"
    return ConversionPlan(contact_id, not facts.get("contact_id"), company_id,
                          company_id is not None and not facts.get("company_id"), deal_id, stage)


def converted(lead: Record | None, p: ConversionPlan) -> list[NewEvent]:
    """`lead.converted`, linking what the plan linked or created."""
    if lead is None:
        raise CommandRejected("NOT_FOUND", "The lead could not be found.")
    data = {"status": "converted", "contact_id": p.contact_id, "company_id": p.company_id, "deal_id": p.deal_id}
    return [change(lead, "lead.converted", data)]

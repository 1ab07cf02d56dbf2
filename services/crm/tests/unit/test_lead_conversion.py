"""Lead conversion decisions: given a lead and the workspace's facts, when converting, then a plan or a refusal."""

from __future__ import annotations

import pytest

from crm.domain import lead
from crm.domain.record import Record
from junction_common.decisions import CommandRejected


def a_lead(**fields):
    return Record("lead_abc", {"name": "Priya", "status": "new", **fields})


def test_new_lead_plans_new_contact_and_company():
    p = lead.plan(a_lead(company_name="Northstar"), {}, {"stage_keys": set()}, "abc")
    assert (p.contact_id, p.create_contact, p.company_id, p.create_company) == ("con_abc", True, "com_abc", True)
    assert p.deal_id is None


def test_existing_contact_and_company_are_linked_not_created():
    facts = {"contact_id": "con_old", "company_id": "com_old", "stage_keys": set()}
    p = lead.plan(a_lead(company_name="Northstar"), {}, facts, "abc")
    assert (p.contact_id, p.create_contact, p.company_id, p.create_company) == ("con_old", False, "com_old", False)


def test_deal_uses_requested_or_first_stage_and_needs_one():
    facts = {"stage_keys": {"discovery", "won"}, "first_stage": "discovery"}
    assert lead.plan(a_lead(), {"create_deal": True}, facts, "abc").deal_stage == "discovery"
    assert lead.plan(a_lead(), {"create_deal": True, "deal_stage": "won"}, facts, "abc").deal_stage == "won"
    with pytest.raises(CommandRejected) as refused:
        lead.plan(a_lead(), {"create_deal": True}, {"stage_keys": set()}, "abc")
    assert refused.value.details["pointer"] == "/deal_stage"


@pytest.mark.parametrize("status", ["converted", "disqualified"])
def test_converted_or_disqualified_leads_are_refused(status):
    with pytest.raises(CommandRejected) as refused:
        lead.plan(a_lead(status=status), {}, {}, "abc")
    assert refused.value.code == "VALIDATION_ERROR" and status in refused.value.message


def test_missing_lead_is_not_found():
    with pytest.raises(CommandRejected) as refused:
        lead.check_convertible(None)
    assert refused.value.code == "NOT_FOUND"


def test_converted_event_carries_the_links():
    p = lead.ConversionPlan("con_1", True, "com_1", True, "deal_1", "discovery")
    [event] = lead.converted(a_lead(), p)
    assert event.type == "lead.converted" and event.schema_version == 2
    changes = {"status": "converted", "contact_id": "con_1", "company_id": "com_1", "deal_id": "deal_1"}
    assert event.data["changes"] == changes
    assert event.data["record"] == {**a_lead().fields, **changes, "archived": False}

"""Declared links: which records a command names, found in nested lists and typed by prefix (pure)."""

from __future__ import annotations

from crm.domain import rules
from crm.domain.rules.base import Link


def test_a_deal_names_its_company_and_contact_on_create_and_update() -> None:
    assert rules.links_of("deal", {"name": "x", "company_id": "com_1", "contact_id": "con_1"}) == [
        Link("/company_id", "company", "com_1"), Link("/contact_id", "contact", "con_1")]
    assert rules.links_of("deal", {"stage": "won"}) == []  # an update that sets no link names nothing


def test_contacts_invoices_payments_and_assets_name_records_too() -> None:
    assert rules.links_of("contact", {"name": "x", "company_id": "com_1"}) == [Link("/company_id", "company", "com_1")]
    assert [link.target for link in rules.links_of("invoice", {"company_id": "com_1", "deal_id": "deal_1"})] == [
        "company", "deal"]
    assert rules.links_of("payment", {"invoice_id": "inv_1"}) == [Link("/invoice_id", "invoice", "inv_1")]
    assert rules.links_of("asset", {"related_resource_type": "cms_entry", "related_resource_id": "ent_1"}) == [
        Link("/related_resource_id", "cms_entry", "ent_1", live=False)]


def test_ids_in_lists_and_nested_objects_are_found_at_their_pointer() -> None:
    assert rules.links_of("bi_dashboard", {"report_ids": ["rep_1", "rep_2"], "metric_ids": ["met_1"]}) == [
        Link("/report_ids/0", "bi_report", "rep_1"), Link("/report_ids/1", "bi_report", "rep_2"),
        Link("/metric_ids/0", "bi_metric", "met_1")]
    assert rules.links_of("bi_export", {"query": {"metric_id": "met_1"}}) == [
        Link("/query/metric_id", "bi_metric", "met_1")]


def test_a_typed_link_must_agree_with_its_type() -> None:
    [ok] = rules.links_of("bi_scheduled_artifact", {"artifact_type": "report", "artifact_id": "rep_1"})
    [wrong] = rules.links_of("bi_scheduled_artifact", {"artifact_type": "dataset", "artifact_id": "rep_1"})
    assert (ok.target, wrong.target) == ("bi_report", "")


def test_a_nested_record_names_its_parent() -> None:
    assert rules.links_of("ticket_message", {"ticket_id": "ticket_1", "body": "hi"}) == [
        Link("/ticket_id", "ticket", "ticket_1")]

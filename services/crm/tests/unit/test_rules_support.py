"""Support rules, and the shared unique/link rules, on given facts: a queue key is unique, ticket links exist."""

from __future__ import annotations

from typing import Any

import pytest

from crm.domain import rules
from crm.domain.record import Record
from junction_common.decisions import CommandRejected
from junction_common.envelope import Actor, CommandEnvelope


def command(type_: str, **data: Any) -> CommandEnvelope:
    return CommandEnvelope(type=type_, aggregate_id="ticket_1", workspace_id="wrk_1",
                           actor=Actor(kind="api_key", id="key_1"), request_id="req_1", data=data)


def rejection(resource: str, cmd: CommandEnvelope, context: dict[str, Any],
              state: Record | None = None) -> dict[str, Any]:
    with pytest.raises(CommandRejected) as caught:
        rules.check(resource, cmd, state, context)
    assert caught.value.code == "VALIDATION_ERROR"
    return dict(caught.value.details or {})


def test_queue_key_must_be_unused() -> None:
    cmd = command("support_queue.create", key="priority", name="Priority Support")
    rules.check("support_queue", cmd, None, {"taken": {}})
    details = rejection("support_queue", cmd, {"taken": {"key": {"priority"}}})
    assert details == {"pointer": "/key", "key": "priority"}


def test_ticket_links_are_read_from_the_command() -> None:
    links = rules.links_of("ticket", {"subject": "x", "queue_id": "queue_1", "contact_id": "con_1",
                                      "deal_id": None, "invoice_id": "inv_9"})
    assert [(link.pointer, link.target, link.id) for link in links] == [
        ("/queue_id", "support_queue", "queue_1"), ("/contact_id", "contact", "con_1"),
        ("/invoice_id", "invoice", "inv_9")]
    assert rules.links_of("ticket", {"subject": "no links"}) == []
    assert rules.links_of("support_queue", {"key": "k"}) == []


def test_ticket_with_existing_links_passes() -> None:
    cmd = command("ticket.create", subject="Cannot download invoice", queue_id="queue_1")
    rules.check("ticket", cmd, None, {"missing_links": []})
    rules.check("ticket", cmd, None, {})


def test_ticket_missing_link_names_every_missing_one() -> None:
    cmd = command("ticket.create", subject="x", queue_id="queue_gone", company_id="com_gone")
    missing = [{"pointer": "/queue_id", "id": "queue_gone"}, {"pointer": "/company_id", "id": "com_gone"}]
    details = rejection("ticket", cmd, {"missing_links": missing})
    assert details["pointer"] == "/queue_id" and details["id"] == "queue_gone"
    assert details["missing"] == missing


def test_ticket_update_checks_links_too() -> None:
    state = Record("ticket_1", {"subject": "x", "status": "new"})
    cmd = command("ticket.update", queue_id="queue_gone")
    details = rejection("ticket", cmd, {"missing_links": [{"pointer": "/queue_id", "id": "queue_gone"}]}, state)
    assert details["pointer"] == "/queue_id"


def test_rule_order_unique_then_own_then_links() -> None:
    names = [getattr(rule, "__name__", "") for rule in rules.RULES["journal_entry"]]
    assert names == ["_lines_one_sided", "_posted_entry_balances", "links_exist"]
    assert [getattr(rule, "__name__", "") for rule in rules.RULES["cms_site"]] == ["rule"]
    assert rules.UNIQUE["cms_site"] == ("key", "primary_domain")

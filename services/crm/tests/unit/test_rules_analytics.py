"""Analytics governance rules on given facts: unique event names and property keys, properties listed once."""

from __future__ import annotations

from typing import Any

import pytest

from crm.domain import rules
from junction_common.decisions import CommandRejected
from junction_common.envelope import Actor, CommandEnvelope


def command(type_: str, **data: Any) -> CommandEnvelope:
    return CommandEnvelope(type=type_, aggregate_id="evt_1", workspace_id="wrk_1",
                           actor=Actor(kind="api_key", id="key_1"), request_id="req_1", data=data)


def rejection(resource: str, cmd: CommandEnvelope, context: dict[str, Any] | None = None) -> dict[str, Any]:
    with pytest.raises(CommandRejected) as caught:
        rules.check(resource, cmd, None, context or {})
    assert caught.value.code == "VALIDATION_ERROR"
    return dict(caught.value.details or {})


EVENT = command("analytics_event.create", name="first_contact_created", owner="growth",
                properties=["tenant_id", "workspace_id", "source"])


def test_event_name_is_unique() -> None:
    rules.check("analytics_event", EVENT, None, {"taken": {}})
    details = rejection("analytics_event", EVENT, {"taken": {"name": {"first_contact_created"}}})
    assert details == {"pointer": "/name", "name": "first_contact_created"}


def test_event_lists_each_property_once() -> None:
    cmd = command("analytics_event.create", name="e", properties=["a", "b", "a"])
    assert rejection("analytics_event", cmd) == {"pointer": "/properties/2", "key": "a"}


def test_property_key_is_unique() -> None:
    cmd = command("analytics_property.create", key="workspace_id", type="string", required=True)
    rules.check("analytics_property", cmd, None, {"taken": {}})
    assert rejection("analytics_property", cmd, {"taken": {"key": {"workspace_id"}}})["pointer"] == "/key"


def test_definitions_link_nothing() -> None:
    assert rules.links_of("analytics_event", EVENT.data) == []

"""Task and activity links: the related resource is told by its id's prefix and must agree with its type."""

from __future__ import annotations

import pytest

from crm.domain import rules
from crm.domain.rules.base import Link
from junction_common.decisions import CommandRejected
from junction_common.envelope import Actor, CommandEnvelope


def test_related_resource_is_told_by_its_prefix() -> None:
    assert rules.links_of("task", {"title": "x", "related_resource_id": "con_1"}) == [
        Link("/related_resource_id", "contact", "con_1", live=False)]
    assert rules.links_of("activity", {"related_resource_type": "deal", "related_resource_id": "deal_1"}) == [
        Link("/related_resource_id", "deal", "deal_1", live=False)]
    assert rules.links_of("task", {"title": "x", "related_resource_type": "contact"}) == []
    assert rules.links_of("task", {"title": "x", "related_resource_id": None}) == []


def test_unknown_prefix_or_other_type_names_no_record() -> None:
    assert rules.links_of("task", {"related_resource_id": "zzz_1"})[0].target == ""
    assert rules.links_of("task", {"related_resource_type": "company", "related_resource_id": "con_1"})[0].target == ""


def test_missing_related_resource_is_rejected_at_its_field() -> None:
    cmd = CommandEnvelope(type="task.create", aggregate_id="task_1", workspace_id="wrk_1",
                          actor=Actor(kind="api_key", id="key_1"), request_id="req_1",
                          data={"title": "x", "related_resource_id": "con_gone"})
    rules.check("task", cmd, None, {"missing_links": []})
    with pytest.raises(CommandRejected) as caught:
        rules.check("task", cmd, None, {"missing_links": [{"pointer": "/related_resource_id", "id": "con_gone"}]})
    assert caught.value.code == "VALIDATION_ERROR"
    assert caught.value.details and caught.value.details["pointer"] == "/related_resource_id"
    assert caught.value.details["id"] == "con_gone"

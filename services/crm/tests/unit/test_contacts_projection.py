"""Contacts read model: `apply` is a pure function of (document, event)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from crm.domain.contact import CONTACT_CREATED
from crm.projections.contacts import PROJECTION, apply
from junction_common.envelope import EventEnvelope

CONTACT_ID = "con_01hx3v6k2q8n7c4d5e6f7g8h9k"
AT = datetime(2020, 2, 29, 23, 59, 58, 123456, tzinfo=UTC)


def created(data: dict[str, Any] | None = None, at: datetime = AT) -> EventEnvelope:
    return EventEnvelope(
        type=CONTACT_CREATED, stream_id=CONTACT_ID, version=1, workspace_id="wrk_1", occurred_at=at,
        command_id="cmd_1", correlation_id="req_1", causation_id="cmd_1",
        schema_version=2,
        data={"record": {"name": "Ada", "email": "ada@example.com", "custom_fields": {"tier": "gold"}}
              if data is None else data},
    )


def other(version: int = 2) -> EventEnvelope:
    return EventEnvelope(
        type="contact.noted", stream_id=CONTACT_ID, version=version, workspace_id="wrk_1",
        occurred_at=AT + timedelta(days=1), command_id="cmd_2", correlation_id="req_2", causation_id="cmd_2",
        data={"note": "x"},
    )


def test_created_builds_the_document() -> None:
    assert apply(None, created()) == {
        "id": CONTACT_ID,
        "workspace_id": "wrk_1",
        "name": "Ada",
        "email": "ada@example.com",
        "custom_fields": {"tier": "gold"},
        "created_at": AT.isoformat(),
        "updated_at": AT.isoformat(),
    }


def test_same_inputs_give_equal_outputs() -> None:
    event = created()
    assert apply(None, event) == apply(None, event)
    assert apply(None, event) == apply(None, created())
    doc = {"id": CONTACT_ID, "name": "Ada"}
    assert apply(doc, other()) == apply(dict(doc), other())


def test_timestamps_come_from_occurred_at_not_the_clock() -> None:
    doc = apply(None, created(at=AT))
    assert doc["created_at"] == "2020-02-29T23:59:58.123456+00:00"
    assert doc["updated_at"] == doc["created_at"]


def test_timestamps_keep_the_events_offset() -> None:
    at = datetime(2021, 6, 1, 8, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert apply(None, created(at=at))["created_at"] == at.isoformat()


def test_created_does_not_mutate_the_input_doc() -> None:
    doc = {"id": CONTACT_ID, "name": "Old", "nested": {"a": 1}}
    before = copy.deepcopy(doc)
    out = apply(doc, created())
    assert doc == before
    assert out is not doc


def test_unknown_event_returns_a_copy_of_the_doc() -> None:
    doc = {"id": CONTACT_ID, "name": "Ada", "created_at": AT.isoformat()}
    before = copy.deepcopy(doc)
    out = apply(doc, other())
    assert out == before
    assert out is not doc
    out["name"] = "changed"
    assert doc == before


def test_unknown_event_on_no_doc_is_empty() -> None:
    assert apply(None, other()) == {}


def test_apply_does_not_mutate_the_event() -> None:
    event = created()
    before = event.model_dump()
    out = apply(None, event)
    out["name"] = "changed"
    assert event.model_dump() == before


def test_projection_declaration() -> None:
    assert PROJECTION.apply is apply
    assert PROJECTION.collection == "contacts"
    assert PROJECTION.group_id == "crm.projections"
    assert PROJECTION.topics == ("crm.contact.events",)

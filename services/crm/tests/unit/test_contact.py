"""Contact aggregate, given events / when command / then events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from crm.domain.contact import (
    CONTACT_CREATED,
    CONTACT_FIELDS,
    CREATE_CONTACT,
    Contact,
    decide,
    evolve,
    fold,
)
from junction_common.decisions import CommandRejected
from junction_common.envelope import Actor, CommandEnvelope, EventEnvelope, NewEvent, stamp

AT = datetime(2024, 5, 17, 12, 0, tzinfo=UTC)
CONTACT_ID = "con_01hx3v6k2q8n7c4d5e6f7g8h9k"
WORKSPACE_ID = "wrk_1"


def command(type_: str = CREATE_CONTACT, **data: Any) -> CommandEnvelope:
    return CommandEnvelope(type=type_, aggregate_id=CONTACT_ID, workspace_id=WORKSPACE_ID,
                           actor=Actor(kind="api_key", id="key_1"), request_id="req_1", data=data)


def given(*commands: CommandEnvelope) -> list[EventEnvelope]:
    """The stream after each command was decided and committed in turn."""
    events: list[EventEnvelope] = []
    for cmd in commands:
        events += stamp(cmd, decide(cmd, events), CONTACT_ID, len(events), AT)
    return events


def when(events: list[EventEnvelope], cmd: CommandEnvelope) -> list[NewEvent]:
    return decide(cmd, events)


def other_event(version: int) -> EventEnvelope:
    return EventEnvelope(
        type="contact.noted", stream_id=CONTACT_ID, version=version, workspace_id=WORKSPACE_ID,
        occurred_at=AT, command_id="cmd_x", correlation_id="cmd_x", causation_id="cmd_x",
        data={"note": "hello"},
    )


# --- decide ----------------------------------------------------------------------------------------


def test_create_from_no_events_yields_one_contact_created() -> None:
    then = when([], command(name="Ada Lovelace", email="ada@example.com"))
    record = {"name": "Ada Lovelace", "email": "ada@example.com"}
    assert then == [NewEvent(type=CONTACT_CREATED, data={"record": record}, schema_version=2)]


def test_create_keeps_only_known_non_none_fields() -> None:
    cmd = command(
        name="Ada", email=None, company_name="Engines", company_id=None, phone="+44 20 0000 0000",
        notes=None, custom_fields={"tier": "gold"}, unknown="dropped", id="con_hijack", workspace_id="wrk_2",
    )
    (event,) = when([], cmd)
    assert event.data["record"] == {
        "name": "Ada",
        "company_name": "Engines",
        "phone": "+44 20 0000 0000",
        "custom_fields": {"tier": "gold"},
    }
    assert set(event.data["record"]) <= set(CONTACT_FIELDS)


def test_create_keeps_falsy_but_present_values() -> None:
    (event,) = when([], command(name="Ada", notes="", custom_fields={}))
    assert event.data == {"record": {"name": "Ada", "notes": "", "custom_fields": {}}}


def test_create_with_every_field() -> None:
    data: dict[str, Any] = {k: f"v-{k}" for k in CONTACT_FIELDS} | {"custom_fields": {"tier": "gold"}}
    (event,) = when([], command(**data))
    assert event.data["record"] == data
    assert list(event.data["record"]) == list(CONTACT_FIELDS)


def test_a_field_of_the_wrong_type_never_becomes_an_event() -> None:
    with pytest.raises(ValidationError):
        when([], command(name="Ada", custom_fields="not a map"))


def test_create_with_no_fields_yields_empty_data() -> None:
    assert when([], command()) == [NewEvent(type=CONTACT_CREATED, data={"record": {}}, schema_version=2)]


def test_decide_does_not_mutate_the_command() -> None:
    cmd = command(name="Ada", email=None, extra=1)
    before = cmd.model_dump()
    when([], cmd)
    assert cmd.model_dump() == before


def test_create_again_on_existing_stream_is_rejected() -> None:
    events = given(command(name="Ada"))
    with pytest.raises(CommandRejected) as info:
        when(events, command(name="Ada again"))
    assert info.value.code == "VALIDATION_ERROR"
    assert info.value.details == {"id": CONTACT_ID}
    assert "already exists" in info.value.message


@pytest.mark.parametrize("type_", ["DeleteContact", "createcontact", "", "contact.created"])
def test_unknown_command_type_is_rejected(type_: str) -> None:
    with pytest.raises(CommandRejected) as info:
        when([], command(type_, name="Ada"))
    assert info.value.code == "VALIDATION_ERROR"
    assert "unknown contact command" in info.value.message


def test_unknown_command_on_existing_stream_is_rejected() -> None:
    with pytest.raises(CommandRejected, match="unknown contact command"):
        when(given(command(name="Ada")), command("RenameContact", name="Bob"))


# --- evolve / fold ---------------------------------------------------------------------------------


def test_given_create_the_stream_has_one_versioned_event() -> None:
    (event,) = given(command(name="Ada", email="ada@example.com"))
    assert event.type == CONTACT_CREATED
    assert event.version == 1
    assert event.stream_id == CONTACT_ID
    assert event.workspace_id == WORKSPACE_ID


def test_evolve_created_from_nothing() -> None:
    (event,) = given(command(name="Ada", email="ada@example.com"))
    state = evolve(None, event)
    assert state == Contact(CONTACT_ID, WORKSPACE_ID, {"name": "Ada", "email": "ada@example.com"})


def test_evolve_copies_event_data() -> None:
    (event,) = given(command(name="Ada"))
    state = evolve(None, event)
    assert state is not None
    assert state.fields == event.data["record"]
    assert state.fields is not event.data["record"]


def test_evolve_ignores_unknown_events() -> None:
    (event,) = given(command(name="Ada"))
    state = evolve(None, event)
    assert evolve(state, other_event(2)) is state
    assert evolve(None, other_event(1)) is None


def test_fold_of_nothing_is_nothing() -> None:
    assert fold([]) is None


def test_fold_applies_events_in_order() -> None:
    events = [*given(command(name="Ada", phone="123")), other_event(2)]
    assert fold(events) == Contact(CONTACT_ID, WORKSPACE_ID, {"name": "Ada", "phone": "123"})


def test_decide_is_pure_and_repeatable() -> None:
    events = given(command(name="Ada"))
    snapshot = [e.model_dump() for e in events]
    assert when([], command(name="Ada")) == when([], command(name="Ada"))
    with pytest.raises(CommandRejected):
        when(events, command(name="Ada"))
    assert [e.model_dump() for e in events] == snapshot

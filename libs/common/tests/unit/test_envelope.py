"""Envelopes (serialisation, stamping, immutability) and prefixed, time-ordered ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from junction_common.envelope import Actor, CommandEnvelope, EventEnvelope, NewEvent, stamp
from junction_common.ids import new_id, new_ulid

AT = datetime(2024, 5, 17, 12, 30, 45, 123456, tzinfo=UTC)
ULID_ALPHABET = set("0123456789abcdefghjkmnpqrstvwxyz")


def make_event(**overrides: object) -> EventEnvelope:
    fields: dict[str, object] = {
        "type": "contact.created",
        "stream_id": "con_01",
        "version": 1,
        "workspace_id": "wrk_1",
        "occurred_at": AT,
        "command_id": "cmd_1",
        "correlation_id": "req_1",
        "causation_id": "cmd_1",
        "actor": Actor(kind="api_key", id="key_1"),
        "data": {"name": "Ada", "custom_fields": {"tier": "gold", "n": 3}},
    }
    fields.update(overrides)
    return EventEnvelope.model_validate(fields)


def make_command(**overrides: object) -> CommandEnvelope:
    fields: dict[str, object] = {
        "type": "CreateContact",
        "aggregate_id": "con_01",
        "workspace_id": "wrk_1",
        "actor": Actor(kind="api_key", id="key_1"),
        "request_id": "req_1",
        "data": {"name": "Ada"},
    }
    fields.update(overrides)
    return CommandEnvelope.model_validate(fields)


# --- serialisation ---------------------------------------------------------------------------------


def test_event_round_trips_through_bytes() -> None:
    event = make_event()
    raw = event.to_bytes()
    assert isinstance(raw, bytes)
    assert EventEnvelope.from_bytes(raw) == event


def test_event_from_bytes_accepts_str() -> None:
    event = make_event()
    assert EventEnvelope.from_bytes(event.to_bytes().decode()) == event


def test_event_round_trip_keeps_timezone_and_nested_data() -> None:
    event = make_event(occurred_at=datetime(2024, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=2))))
    back = EventEnvelope.from_bytes(event.to_bytes())
    assert back.occurred_at == event.occurred_at
    assert back.occurred_at.utcoffset() == timedelta(hours=2)
    assert back.data == {"name": "Ada", "custom_fields": {"tier": "gold", "n": 3}}
    assert back.actor == Actor(kind="api_key", id="key_1")


def test_event_gets_a_prefixed_id_by_default() -> None:
    event = make_event()
    assert event.event_id.startswith("evt_")
    assert len(event.event_id) == len("evt_") + 26
    assert make_event().event_id != event.event_id


def test_command_round_trips_through_bytes() -> None:
    cmd = make_command(traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    back = CommandEnvelope.from_bytes(cmd.to_bytes())
    assert back == cmd
    assert back.command_id.startswith("cmd_")


def test_command_correlation_prefers_correlation_then_request_then_command_id() -> None:
    assert make_command(correlation_id="cor_1").correlation() == "cor_1"
    assert make_command(correlation_id="").correlation() == "req_1"
    cmd = make_command(request_id="")
    assert cmd.correlation() == cmd.command_id


# --- stamp -----------------------------------------------------------------------------------------


def test_stamp_versions_follow_base_version() -> None:
    cmd = make_command()
    new = [NewEvent(type="a.happened", data={"i": 0}), NewEvent(type="b.happened", data={"i": 1}),
           NewEvent(type="c.happened", data={"i": 2}, schema_version=2)]
    stamped = stamp(cmd, new, "con_01", base_version=4, at=AT)
    assert [e.version for e in stamped] == [5, 6, 7]
    assert [e.type for e in stamped] == ["a.happened", "b.happened", "c.happened"]
    assert [e.data for e in stamped] == [{"i": 0}, {"i": 1}, {"i": 2}]
    assert [e.schema_version for e in stamped] == [1, 1, 2]


def test_stamp_on_a_new_stream_starts_at_version_one() -> None:
    stamped = stamp(make_command(), [NewEvent(type="x", data={})], "con_01", base_version=0, at=AT)
    assert [e.version for e in stamped] == [1]


def test_stamp_carries_command_correlation_and_causation_ids() -> None:
    cmd = make_command(correlation_id="cor_9")
    stamped = stamp(cmd, [NewEvent(type="x", data={}), NewEvent(type="y", data={})], "con_77", 0, AT)
    for event in stamped:
        assert event.command_id == cmd.command_id
        assert event.causation_id == cmd.command_id
        assert event.correlation_id == "cor_9"
        assert event.workspace_id == cmd.workspace_id
        assert event.stream_id == "con_77"
        assert event.occurred_at == AT
        assert event.actor == cmd.actor
    assert len({e.event_id for e in stamped}) == 2


def test_stamp_falls_back_to_request_id_for_correlation() -> None:
    cmd = make_command(correlation_id="", request_id="req_42")
    (event,) = stamp(cmd, [NewEvent(type="x", data={})], "con_01", 0, AT)
    assert event.correlation_id == "req_42"
    assert event.causation_id == cmd.command_id


def test_stamp_of_nothing_is_nothing() -> None:
    assert stamp(make_command(), [], "con_01", 3, AT) == []


# --- immutability ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("obj", "attr", "value"),
    [
        (make_event(), "version", 2),
        (make_event(), "type", "other"),
        (make_command(), "aggregate_id", "con_02"),
        (NewEvent(type="x", data={}), "type", "y"),
        (Actor(), "id", "someone"),
    ],
)
def test_models_are_frozen(obj: object, attr: str, value: object) -> None:
    with pytest.raises(ValidationError):
        setattr(obj, attr, value)


def test_frozen_models_are_hashable_where_fields_allow() -> None:
    assert hash(Actor(kind="user", id="u1")) == hash(Actor(kind="user", id="u1"))


# --- ids -------------------------------------------------------------------------------------------


def test_new_id_has_prefix_and_26_char_ulid() -> None:
    value = new_id("con")
    prefix, _, ulid = value.partition("_")
    assert prefix == "con"
    assert len(ulid) == 26
    assert set(ulid) <= ULID_ALPHABET


def test_new_ulid_is_26_lowercase_crockford_chars() -> None:
    for _ in range(50):
        ulid = new_ulid()
        assert len(ulid) == 26
        assert set(ulid) <= ULID_ALPHABET


def test_ids_are_unique() -> None:
    assert len({new_id("con") for _ in range(1000)}) == 1000


def test_ids_made_at_increasing_ms_sort_increasingly() -> None:
    times = [0, 1, 2, 31, 32, 33, 1023, 1024, 1_700_000_000_000, 1_700_000_000_001, 1_700_000_001_000,
             2**48 - 2, 2**48 - 1]
    for _ in range(20):  # random tails must never outweigh the time prefix
        ulids = [new_ulid(now_ms=ms) for ms in times]
        assert ulids == sorted(ulids)
        assert len(set(ulids)) == len(ulids)


def test_ulid_time_prefix_is_shared_within_a_millisecond() -> None:
    a, b = new_ulid(now_ms=1_700_000_000_000), new_ulid(now_ms=1_700_000_000_000)
    assert a[:10] == b[:10]
    assert a != b
    assert new_ulid(now_ms=0)[:10] == "0" * 10


def test_default_ulid_uses_current_time() -> None:
    import time

    before = new_ulid(now_ms=int(time.time() * 1000) - 1)
    now = new_ulid()
    after = new_ulid(now_ms=int(time.time() * 1000) + 1)
    assert before < now < after

"""Upcasting copies an event's data only when a step applies: current events are read as they are."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from junction_common.envelope import EventEnvelope
from junction_common.upcasting import UpcasterRegistry

AT = datetime(2024, 5, 17, 12, 0, tzinfo=UTC)


def event(schema_version: int, data: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope(
        type="thing.happened", schema_version=schema_version, stream_id="thg_1", version=1,
        workspace_id="wrk_1", occurred_at=AT, command_id="cmd_1", correlation_id="cmd_1", causation_id="cmd_1",
        data=data,
    )


def test_a_current_event_is_returned_as_it_is() -> None:
    registry = UpcasterRegistry()
    registry.register("thing.happened", 1, lambda data: {**data, "b": 1})
    current = event(2, {"nested": {"a": 1}})

    assert registry.upcast(current) is current
    assert UpcasterRegistry().upcast(event(1, {"a": 1})).schema_version == 1


def test_a_step_that_changes_its_input_leaves_the_stored_event_alone() -> None:
    def in_place(data: dict[str, Any]) -> dict[str, Any]:
        data["nested"]["a"] = 2
        data["added"] = True
        return data

    registry = UpcasterRegistry()
    registry.register("thing.happened", 1, in_place)
    stored = event(1, {"nested": {"a": 1}})

    upcast = registry.upcast(stored)

    assert upcast.data == {"nested": {"a": 2}, "added": True}
    assert upcast.schema_version == 2
    assert stored.data == {"nested": {"a": 1}}

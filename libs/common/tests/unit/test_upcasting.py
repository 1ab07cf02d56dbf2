"""Upcasters: old event versions become current ones on read, step by step."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from junction_common.envelope import EventEnvelope
from junction_common.upcasting import UpcasterRegistry, UpcastError

FIXTURES = Path(__file__).parent / "fixtures"
AT = datetime(2024, 5, 17, 12, 0, tzinfo=UTC)


def event(
    type_: str = "thing.happened", schema_version: int = 1, data: dict[str, Any] | None = None
) -> EventEnvelope:
    return EventEnvelope(
        type=type_, schema_version=schema_version, stream_id="thg_1", version=1, workspace_id="wrk_1",
        occurred_at=AT, command_id="cmd_1", correlation_id="cmd_1", causation_id="cmd_1",
        data={"a": 1} if data is None else data,
    )


def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k != "a"}
    out["b"] = data["a"] * 10
    return out


def v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "c": data["b"] + 1}


def test_multi_step_upcast_v1_to_v3() -> None:
    registry = UpcasterRegistry()
    registry.register("thing.happened", 2, v2_to_v3)  # registration order must not matter
    registry.register("thing.happened", 1, v1_to_v2)
    assert registry.current_version("thing.happened") == 3

    original = event(data={"a": 4, "keep": "x"})
    upcast = registry.upcast(original)

    assert upcast.schema_version == 3
    assert upcast.data == {"keep": "x", "b": 40, "c": 41}
    # everything but data and schema_version is the stored event's
    assert upcast.model_dump(exclude={"data", "schema_version"}) == original.model_dump(
        exclude={"data", "schema_version"}
    )
    # the stored event is never rewritten
    assert original.schema_version == 1
    assert original.data == {"a": 4, "keep": "x"}


def test_steps_run_in_version_order_from_the_events_version() -> None:
    calls: list[int] = []
    registry = UpcasterRegistry()
    for v in (1, 2, 3):
        registry.register("thing.happened", v, lambda d, v=v: (calls.append(v), {**d, f"s{v}": True})[1])

    assert registry.upcast(event(schema_version=2)).schema_version == 4
    assert calls == [2, 3]


def test_current_event_is_returned_unchanged() -> None:
    registry = UpcasterRegistry()
    registry.register("thing.happened", 1, v1_to_v2)
    registry.register("thing.happened", 2, v2_to_v3)
    current = event(schema_version=3, data={"b": 1, "c": 2})
    assert registry.upcast(current) is current


def test_event_type_without_upcasters_is_returned_unchanged() -> None:
    registry = UpcasterRegistry()
    registry.register("thing.happened", 1, v1_to_v2)
    other = event(type_="other.happened")
    assert registry.current_version("other.happened") == 1
    assert registry.upcast(other) is other


def test_missing_step_raises_upcast_error() -> None:
    registry = UpcasterRegistry()
    registry.register("thing.happened", 1, v1_to_v2)
    registry.register("thing.happened", 3, lambda d: d)  # no 2 -> 3 step
    assert registry.current_version("thing.happened") == 4
    with pytest.raises(UpcastError, match=r"thing\.happened v2"):
        registry.upcast(event(schema_version=1))
    with pytest.raises(UpcastError):
        registry.upcast(event(schema_version=2, data={"b": 1}))


def test_missing_first_step_raises_upcast_error() -> None:
    registry = UpcasterRegistry()
    registry.register("thing.happened", 2, v2_to_v3)
    with pytest.raises(UpcastError, match="v1"):
        registry.upcast(event(schema_version=1))


# --- a stored v1 event still loads and upcasts -----------------------------------------------------


def contact_created_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Sample: v1 said `full_name` and `company`; v2 says `name` and `company_name`."""
    renames = {"full_name": "name", "company": "company_name"}
    return {renames.get(k, k): v for k, v in data.items()}


def load_fixture() -> EventEnvelope:
    return EventEnvelope.model_validate(json.loads((FIXTURES / "contact_created_v1.json").read_text()))


def test_v1_fixture_still_validates() -> None:
    stored = load_fixture()
    assert stored.type == "contact.created"
    assert stored.schema_version == 1
    assert stored.version == 1
    assert stored.occurred_at == datetime(2024, 5, 17, 12, 30, 45, 123456, tzinfo=UTC)
    assert stored.data["full_name"] == "Ada Lovelace"
    # and survives a bytes round trip unchanged
    assert EventEnvelope.from_bytes(stored.to_bytes()) == stored


def test_v1_fixture_upcasts_to_current() -> None:
    registry = UpcasterRegistry()
    registry.register("contact.created", 1, contact_created_v1_to_v2)
    stored = load_fixture()

    current = registry.upcast(stored)

    assert current.schema_version == 2
    assert current.data == {
        "name": "Ada Lovelace", "email": "ada@example.com", "company_name": "Analytical Engines Ltd",
    }
    assert current.event_id == stored.event_id
    assert current.stream_id == stored.stream_id
    assert stored.data["full_name"] == "Ada Lovelace"

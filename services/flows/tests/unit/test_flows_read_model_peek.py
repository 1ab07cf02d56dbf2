"""The projection consumer skips the events a written-ahead read model (the executions read model, written by the
engine) already holds by the version it reads from an event's bytes without parsing them: that reading is the
envelope's own `version` or nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pydantic_core import to_json

from junction_common.envelope import EventEnvelope
from junction_common.projections.runner import peek_version


def envelope(version: int, data: dict[str, object]) -> EventEnvelope:
    return EventEnvelope(type="step.succeeded", stream_id="exec_1", version=version, workspace_id="wrk_1",
                         occurred_at=datetime.now(UTC), command_id="cmd_1", correlation_id="c", causation_id="c",
                         data=data)


def test_the_envelope_version_is_read_as_the_relay_and_the_model_write_it() -> None:
    event = envelope(12, {"output": {"version": 99, "text": '"version":7'}})
    assert peek_version(event.to_bytes()) == 12
    assert peek_version(to_json(event.model_dump(mode="json"))) == 12


def test_a_version_it_cannot_be_sure_of_is_none() -> None:
    stored = envelope(3, {"version": 5}).model_dump(mode="json")
    data_first = {"data": stored.pop("data"), **stored}  # a nested `version` key before the envelope's
    assert peek_version(json.dumps(data_first, separators=(",", ":")).encode()) is None
    assert peek_version(json.dumps(stored).encode()) is None  # `"version": 3`, spaced
    assert peek_version(b'{"type":"x"}') is None
    assert peek_version(b'{"version":"3"}') is None

"""With no exporter configured no span is recorded, yet every request and command still carries a trace id."""

from __future__ import annotations

import pytest
from opentelemetry import trace

from junction_common import tracing


@pytest.fixture
def unconfigured(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    installed: list[object] = []
    monkeypatch.setattr(tracing, "_configured", False)
    monkeypatch.setattr(tracing, "_unsampled", None)
    monkeypatch.setattr(tracing, "_tracers", {})
    monkeypatch.setattr(trace, "set_tracer_provider", installed.append)
    return installed


def test_no_exporter_records_nothing_and_leaves_the_global_provider_alone(unconfigured: list[object]) -> None:
    tracing.configure_tracing("crm", "none")
    assert unconfigured == []  # so FastAPI's own per-request telemetry stays off too
    with tracing.tracer("junction.test").start_as_current_span("request") as span:
        assert not span.is_recording()
        trace_id = tracing.current_trace_id()
        carried = tracing.inject_headers()
    assert len(trace_id) == 32 and int(trace_id, 16) != 0
    assert carried["traceparent"].split("-")[1] == trace_id
    with tracing.tracer("junction.other").start_as_current_span(
            "command", context=tracing.extract_context(carried)):
        assert tracing.current_trace_id() == trace_id  # the command continues the request's trace


def test_an_exporter_installs_the_recording_provider(unconfigured: list[object]) -> None:
    tracing.configure_tracing("crm", "console")
    assert len(unconfigured) == 1

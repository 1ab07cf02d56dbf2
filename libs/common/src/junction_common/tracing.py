"""OpenTelemetry: one tracer provider per process; trace context crosses Kafka in message headers.

With an exporter configured the SDK provider is installed globally and every span is recorded (FastAPI's own
request spans included). With none (the default) nothing is recorded: the process keeps a private provider whose
sampler drops every span, so a request still gets a trace id that crosses Kafka in `traceparent` (logs and the
`X-Trace-Id` header keep correlating), while the global provider stays unconfigured and FastAPI's built-in
telemetry (a span, metrics and log hooks per request and per dependency) switches itself off.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

_configured = False
_unsampled: TracerProvider | None = None  # exporter `none`: ids without recording, never installed globally
_tracers: dict[str, trace.Tracer] = {}


def configure_tracing(service: str, exporter: str = "none") -> None:
    """Install the SDK provider; `console` exports spans to stderr, `none` records no span at all."""
    global _configured, _unsampled
    if _configured:
        return
    resource = Resource.create({"service.name": f"junction-{service}"})
    if exporter == "none":
        _unsampled = TracerProvider(resource=resource, sampler=ALWAYS_OFF)
    else:
        provider = TracerProvider(resource=resource)
        if exporter == "console":
            provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
        trace.set_tracer_provider(provider)
    _tracers.clear()
    _configured = True


def tracer(name: str) -> trace.Tracer:
    """The named tracer (one per name per process)."""
    found = _tracers.get(name)
    if found is None:
        found = _tracers[name] = (_unsampled.get_tracer(name) if _unsampled is not None
                                  else trace.get_tracer(name))
    return found


def inject_headers(headers: dict[str, str] | None = None) -> dict[str, str]:
    """Current trace context as W3C `traceparent` headers to put on an outgoing message."""
    carrier: dict[str, str] = dict(headers or {})
    propagate.inject(carrier)
    return carrier


def extract_context(headers: Mapping[str, Any]) -> otel_context.Context:
    """The trace context an incoming message carried (bytes or str header values)."""
    carrier = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in headers.items()}
    return propagate.extract(carrier)


def current_trace_id() -> str:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.trace_id else ""

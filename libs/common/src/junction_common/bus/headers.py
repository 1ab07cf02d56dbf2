"""Kafka header names and their conversion; trace context and correlation travel here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EVENT_TYPE = "junction-type"
CORRELATION_ID = "junction-correlation-id"
CAUSATION_ID = "junction-causation-id"
WORKSPACE_ID = "junction-workspace-id"
ATTEMPT = "junction-attempt"
NOT_BEFORE = "junction-not-before"
ORIGINAL_TOPIC = "junction-original-topic"
ERROR = "junction-error"


def as_str_map(headers: Mapping[str, Any] | None) -> dict[str, str]:
    """Headers as text, whatever form (bytes or str, dict or pairs) the client gave them in."""
    if not headers:
        return {}
    return {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in headers.items()}

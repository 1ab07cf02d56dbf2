"""Timestamps read back from the store, whatever form the server returns them in.

nx-27017 (the fallback MongoDB wire-protocol server) returns a datetime written with `$set` as a string
("2026-11-23 11:16:29.053000"); MongoDB and FerretDB return a datetime. Readers go through here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def as_datetime(value: Any) -> datetime | None:
    """A timezone-aware datetime (UTC when the stored value carries no zone), or None."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"not a timestamp: {value!r}")
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def from_epoch(ts: float) -> str:
    """Epoch seconds (what queues store, since floats compare exactly on every server) as ISO 8601 UTC."""
    return datetime.fromtimestamp(ts, UTC).isoformat()


def iso(value: Any) -> str | None:
    parsed = as_datetime(value)
    return parsed.isoformat() if parsed is not None else None

"""Every domain event type Junction publishes: each service declares its own in its contract package (found
through the `junction.event_types` entry points, junction_common.contracts.event_types), the webhooks service
its own too (webhooks_contracts.event_types), and serves them all."""

from __future__ import annotations

import functools

from junction_common.contracts.event_types import EventType, declared_event_types

__all__ = ["EventType", "event_catalogue"]


@functools.cache
def event_catalogue() -> tuple[EventType, ...]:
    """Every event type with its category and its payload's version and JSON Schema."""
    return tuple(declared_event_types())

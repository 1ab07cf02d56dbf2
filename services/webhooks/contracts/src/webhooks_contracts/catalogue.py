"""Every domain event type Junction publishes: each service declares its own in its contract package (found
through the `junction.event_types` entry points, junction_common.contracts.event_types); the webhooks service
adds its own and serves them all."""

from __future__ import annotations

import functools

from junction_common.contracts.event_types import EventType, declared_event_types
from webhooks_contracts.declarations import WEBHOOK_EVENT_TYPES
from webhooks_contracts.events import json_schemas

__all__ = ["EventType", "event_catalogue"]


@functools.cache
def event_catalogue() -> tuple[EventType, ...]:
    """Every event type with its category and its payload's version and JSON Schema."""
    schemas = {s["type"]: s for s in json_schemas()}
    own = [EventType(key, "webhooks", description, schemas.get(key, {}).get("schema_version"),
                     schemas.get(key, {}).get("schema")) for key, description in WEBHOOK_EVENT_TYPES]
    return tuple(declared_event_types() + own)

"""The event types a service publishes, declared in its contract package and found through entry points.

A contract package names its list under the `junction.event_types` entry points
(`<service> = "<pkg>.event_types:EVENT_TYPES"`); the webhooks service builds its catalogue (what endpoints may
subscribe to, what `GET /v1/integrations/events` lists with each type's JSON Schema) from every installed one,
so it imports no other service's contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any


@dataclass(frozen=True)
class EventType:
    key: str  # `lead.created`
    category: str  # `crm`, `support`, `bi`, ...
    description: str
    schema_version: int | None = None  # the payload model's current version
    schema: dict[str, Any] | None = None  # its JSON Schema
    # Fields of the resource never shown in the public payload (junction_common.contracts.public_events).
    hidden: tuple[str, ...] = ()


def schemas_of(models: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every event type of a contract's payload models (`schema_version` on each) with its JSON Schema, by type."""
    return [{"type": name, "schema_version": model.schema_version, "schema": model.model_json_schema()}
            for name, model in sorted(models.items())]


def declared_event_types() -> list[EventType]:
    """Every event type any installed contract package declares, in declaration order."""
    found: list[EventType] = []
    for ep in sorted(entry_points(group="junction.event_types"), key=lambda ep: ep.name):
        found.extend(ep.load())
    return found

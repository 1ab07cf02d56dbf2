"""Every event type the sync service publishes, with its payload's version and JSON Schema.

Declared under the `junction.event_types` entry points (this package's pyproject): the webhooks service lists
them and lets endpoints subscribe to them (junction_common.contracts.event_types).
"""

from __future__ import annotations

from junction_common.contracts.event_types import EventType
from sync_contracts import events as run_events
from sync_contracts import records, tables

EVENT_TYPES: list[EventType] = []
EVENT_TYPES += [EventType(item["type"], "sync", run_events.DESCRIPTIONS[item["type"]], item["schema_version"],
                          item["schema"]) for item in run_events.json_schemas()]
EVENT_TYPES += [EventType(item["type"], "sync", part.DESCRIPTIONS[item["type"]], item["schema_version"], item["schema"])
                for part in (tables, records) for item in part.json_schemas()]

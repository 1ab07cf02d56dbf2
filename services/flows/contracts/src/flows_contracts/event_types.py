"""Every event type the flows service publishes, with its payload's version and JSON Schema.

Declared under the `junction.event_types` entry points (this package's pyproject): the webhooks service lists
them and lets endpoints subscribe to them (junction_common.contracts.event_types).
"""

from __future__ import annotations

from flows_contracts import forms
from flows_contracts.events import DESCRIPTIONS, json_schemas
from junction_common.contracts.event_types import EventType

EVENT_TYPES: list[EventType] = []
# Workflows and executions (flows_contracts.events).
EVENT_TYPES += [EventType(item["type"], "flows", DESCRIPTIONS[item["type"]], item["schema_version"], item["schema"])
                for item in json_schemas()]
# Forms and their submissions (flows_contracts.forms); subscription changes stay internal.
EVENT_TYPES += [EventType(item["type"], "flows", forms.DESCRIPTIONS[item["type"]], item["schema_version"],
                          item["schema"]) for item in forms.json_schemas()]

"""Every event type the connections service publishes, with its payload's version and JSON Schema.

Declared under the `junction.event_types` entry points (this package's pyproject): the webhooks service lists
them and lets endpoints subscribe to them (junction_common.contracts.event_types).
"""

from __future__ import annotations

from connections_contracts import custom_provider_events as cpe
from connections_contracts import provider_webhooks
from connections_contracts import tenant_integration_events as tie
from connections_contracts.events import DESCRIPTIONS, json_schemas
from junction_common.contracts.event_types import EventType, schemas_of

EVENT_TYPES = [EventType(item["type"], "connections", DESCRIPTIONS[item["type"]], item["schema_version"],
                         item["schema"]) for item in json_schemas()]
EVENT_TYPES += [EventType(item["type"], "connections", provider_webhooks.DESCRIPTIONS[item["type"]],
                         item["schema_version"], item["schema"], hidden=provider_webhooks.HIDDEN.get(item["type"], ()))
                for item in provider_webhooks.json_schemas()]
DESCRIPTIONS_OF = {**tie.DESCRIPTIONS, **cpe.DESCRIPTIONS}
EVENT_TYPES += [EventType(item["type"], "connections", DESCRIPTIONS_OF[item["type"]], item["schema_version"],
                          item["schema"]) for item in schemas_of({**tie.EVENT_MODELS, **cpe.EVENT_MODELS})]

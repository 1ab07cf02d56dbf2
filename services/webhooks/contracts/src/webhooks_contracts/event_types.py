"""The event types the webhooks service publishes, with their payloads' versions and JSON Schemas and the fields
their public payloads leave out (an endpoint's URL: receivers of endpoint events need not learn where other
endpoints send; an event type's `updated_at`: the API shows only its `created_at`).

Declared under the `junction.event_types` entry points (this package's pyproject), like every service's.
"""

from __future__ import annotations

from junction_common.contracts.event_types import EventType
from webhooks_contracts.declarations import SECRET_FIELDS, WEBHOOK_EVENT_TYPES
from webhooks_contracts.events import json_schemas

_HIDDEN_BY_FAMILY = {"webhook_endpoint": (*SECRET_FIELDS, "url"), "integration_event_type": ("updated_at",)}


def _event_types() -> list[EventType]:
    schemas = {s["type"]: s for s in json_schemas()}
    return [EventType(key, "webhooks", description, schemas.get(key, {}).get("schema_version"),
                      schemas.get(key, {}).get("schema"), _HIDDEN_BY_FAMILY.get(key.split(".", 1)[0], ()))
            for key, description in WEBHOOK_EVENT_TYPES]


EVENT_TYPES = _event_types()

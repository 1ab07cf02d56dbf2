"""integrations-api.txt's catalogue (`/v1/integrations/available`, `/v1/integrations/search`) from manifests:
each available integration with the JSON Schema of its settings and its sync event types."""

from __future__ import annotations

from typing import Any

from connections.catalogue.facts import auth_type, credential_fields, sync_events
from connections.catalogue.manifest import CredentialField, Manifest
from connections_contracts.catalogue import AvailableIntegration


def _property(field: CredentialField) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": "string", "title": field.label, "minLength": 1}
    if field.description:
        prop["description"] = field.description
    if field.secret:
        prop["writeOnly"] = True  # stored sealed, never answered back
    return prop


def settings_schema(m: Manifest) -> dict[str, Any]:
    """The JSON Schema an integration's `settings` of this provider is validated against: the manifest's own,
    else one of its credential fields."""
    if m.settings_schema is not None:
        return dict(m.settings_schema)
    fields = credential_fields(m)
    return {"type": "object", "properties": {f.name: _property(f) for f in fields},
            "required": [f.name for f in fields if f.required], "additionalProperties": False}


def available_integration(m: Manifest) -> AvailableIntegration:
    """`service` is what POST /v1/integrations takes; `syncEvents` are the event types it may synchronize."""
    return AvailableIntegration(service=m.type, name=m.name, description=m.description, categories=list(m.categories),
                                auth_type=auth_type(m), docs_url=str(m.docs_url), settings_schema=settings_schema(m),
                                sync_events=list(sync_events(m)))

"""The public event payload: what leaves Junction for an internal event (webhook deliveries, flow trigger data).

Shape (version `PUBLIC_PAYLOAD_VERSION`): `{"id", "type", "timestamp", "workspace_id", "data"}`, where `data` is
the resource as the API returns it, with its `id`. The mapping is explicit and pure, a function of the event
alone (as stored: an event of an older schema version is not upcast here, so it gives the bytes it always
gave), so a live delivery and a replayed one (the same event consumed again) are byte-identical, and every
consumer (the webhooks service's deliveries, the flows service's event triggers) gives the same payload:
- an event carrying `record` (the typed events of every service): `{"id": stream_id, **record}` with the
  timestamps the API shows taken from the record or the event's `occurred_at` (`created_at` unless the record
  has it, `updated_at`, `archived_at` when the event archives it, `deleted_at` when it deletes it); only
  `record` is read, never `changes` or an event's internal fields;
- any other event (version 1 events): `{"id": stream_id, **data}`.
Fields holding sealed secrets never leave, nor the fields an event type declares `hidden` in its contract
package (junction_common.contracts.event_types.EventType).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from junction_common.contracts.event_types import declared_event_types
from junction_common.envelope import EventEnvelope

PUBLIC_PAYLOAD_VERSION = 1
Doc = dict[str, Any]
# Names the services give sealed or hashed secrets inside events: never public, whatever the type declares.
ALWAYS_HIDDEN = ("secret", "secret_sealed", "previous_secrets", "credentials_sealed", "token_hash")


@functools.cache
def _declared_hidden() -> dict[str, tuple[str, ...]]:
    return {event_type.key: event_type.hidden for event_type in declared_event_types()}


def hidden_fields(event_type: str) -> tuple[str, ...]:
    """The fields of `event_type`'s resource that its public payload leaves out."""
    return ALWAYS_HIDDEN + _declared_hidden().get(event_type, ())


def public_data(event: EventEnvelope) -> Doc:
    """The resource `event` left behind, as the API returns it."""
    at = event.occurred_at.isoformat()
    record = event.data.get("record")
    if isinstance(record, dict):
        data: Doc = {"id": event.stream_id, **record, "created_at": record.get("created_at") or at,
                     "updated_at": at}
        if event.type.endswith(".archived"):
            data["archived_at"] = at
        if event.type.endswith(".deleted"):
            data["deleted_at"] = at
    else:
        data = {"id": event.stream_id, **event.data}
    hidden = hidden_fields(event.type)
    return {k: v for k, v in data.items() if k not in hidden}


def public_event(event: EventEnvelope) -> Doc:
    """The public payload of an internal event, as a document."""
    return {"id": event.event_id, "type": event.type, "timestamp": event.occurred_at.isoformat(),
            "workspace_id": event.workspace_id, "data": public_data(event)}


def encode(event_id: str, event_type: str, timestamp: str, workspace_id: str, data: Doc) -> str:
    """The payload's bytes: compact JSON, keys in the documented order."""
    return json.dumps({"id": event_id, "type": event_type, "timestamp": timestamp, "workspace_id": workspace_id,
                       "data": data}, separators=(",", ":"), default=str)


def public_payload(event: EventEnvelope) -> str:
    """The public payload of an internal event, as the bytes a receiver gets."""
    return encode(event.event_id, event.type, event.occurred_at.isoformat(), event.workspace_id, public_data(event))

"""The public event payload a Junction event gives a flow as its trigger data: `{id, type, timestamp,
workspace_id, data}`, `data` being the resource as the API returns it.

The same mapping as the webhooks service's deliveries (webhooks.delivery.public_payload; a test checks they agree
event by event): an event carrying `record` gives `{"id": stream_id, **record}` with `created_at`/`updated_at`
(and `archived_at`/`deleted_at` when it archives or deletes), any other `{"id": stream_id, **data}`; secret
fields are never included.
"""

from __future__ import annotations

from typing import Any

from junction_common.envelope import EventEnvelope

Doc = dict[str, Any]
SECRET_FIELDS = ("secret", "secret_sealed", "previous_secrets", "credentials_sealed", "token_hash")
HIDDEN_BY_FAMILY = {"webhook_endpoint": ("url",), "integration_event_type": ("updated_at",)}


def public_data(event: EventEnvelope) -> Doc:
    """The resource `event` left behind, as the API returns it."""
    at = event.occurred_at.isoformat()
    record = event.data.get("record")
    if isinstance(record, dict):
        data: Doc = {"id": event.stream_id, **record, "created_at": record.get("created_at") or at, "updated_at": at}
        if event.type.endswith(".archived"):
            data["archived_at"] = at
        if event.type.endswith(".deleted"):
            data["deleted_at"] = at
    else:
        data = {"id": event.stream_id, **event.data}
    hidden = SECRET_FIELDS + HIDDEN_BY_FAMILY.get(event.type.split(".", 1)[0], ())
    return {k: v for k, v in data.items() if k not in hidden}


def public_event(event: EventEnvelope) -> Doc:
    """The public payload of an internal event."""
    return {"id": event.event_id, "type": event.type, "timestamp": event.occurred_at.isoformat(),
            "workspace_id": event.workspace_id, "data": public_data(event)}

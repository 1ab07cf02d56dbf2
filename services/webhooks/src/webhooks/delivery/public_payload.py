"""The public event payload: what leaves Junction for an internal event (webhook deliveries, the test event).

Shape (version `PUBLIC_PAYLOAD_VERSION`): `{"id", "type", "timestamp", "workspace_id", "data"}`, where `data` is
the resource as the API returns it, with its `id`. The mapping is explicit and pure, a function of the event
alone (as stored: an event of an older schema version is not upcast here, so it gives the bytes it always
gave), so a live delivery and a replayed one (the same event consumed again) are byte-identical:
- an event carrying `record` (every crm event and every webhooks event, v2; crm_contracts.events,
  webhooks_contracts.events): `{"id": stream_id, **record}` with the timestamps the API shows taken from the
  record or the event's `occurred_at` (`created_at` unless the record has it, `updated_at`, `archived_at` when
  the event archives it, `deleted_at` when it deletes it); only `record` is read, never `changes` or an
  event's internal fields (a webhook endpoint's sealed secrets);
- any other event (version 1 events): `{"id": stream_id, **data}`.
Secret fields are never included; a webhook endpoint's `url` neither (receivers of endpoint events need not
learn where other endpoints send); an event type's `updated_at` neither (the API shows only its `created_at`).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from junction_common.envelope import EventEnvelope
from webhooks_contracts import declarations as wh
from webhooks_contracts.events import WebhookTestRecord, WebhookTestSent

PUBLIC_PAYLOAD_VERSION = 1
Doc = dict[str, Any]


_HIDDEN_BY_FAMILY = {"webhook_endpoint": ("url",), "integration_event_type": ("updated_at",)}


def _hidden(event_type: str) -> tuple[str, ...]:
    return wh.SECRET_FIELDS + _HIDDEN_BY_FAMILY.get(event_type.split(".", 1)[0], ())


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
    hidden = _hidden(event.type)
    return {k: v for k, v in data.items() if k not in hidden}


def encode(event_id: str, event_type: str, timestamp: str, workspace_id: str, data: Doc) -> str:
    """The payload's bytes: compact JSON, keys in the documented order."""
    return json.dumps({"id": event_id, "type": event_type, "timestamp": timestamp, "workspace_id": workspace_id,
                       "data": data}, separators=(",", ":"), default=str)


def public_payload(event: EventEnvelope) -> str:
    """The public payload of an internal event."""
    return encode(event.event_id, event.type, event.occurred_at.isoformat(), event.workspace_id, public_data(event))


def webhook_test_payload(event_id: str, workspace_id: str, endpoint_id: str, at: datetime) -> str:
    """The `webhook.test` payload: the same shape, its `data` naming the endpoint it was sent to (its record,
    built through its model)."""
    sent = WebhookTestSent(record=WebhookTestRecord(webhook_id=endpoint_id, message="Test event from Junction."))
    data = {"id": endpoint_id, **sent.record.model_dump()}
    return encode(event_id, wh.TEST_EVENT, at.isoformat(), workspace_id, data)

"""The public event payload a webhook delivery carries: `{"id", "type", "timestamp", "workspace_id", "data"}`,
mapped from the internal event by junction_common.contracts.public_events (the one mapping every service uses;
the fields each event type leaves out are declared in its contract package, this service's in
webhooks_contracts.event_types). The `webhook.test` payload is this service's own.
"""

from __future__ import annotations

from datetime import datetime

from junction_common.contracts.public_events import PUBLIC_PAYLOAD_VERSION, encode, public_data, public_payload
from webhooks_contracts import declarations as wh
from webhooks_contracts.events import WebhookTestRecord, WebhookTestSent

__all__ = ["PUBLIC_PAYLOAD_VERSION", "encode", "public_data", "public_payload", "webhook_test_payload"]


def webhook_test_payload(event_id: str, workspace_id: str, endpoint_id: str, at: datetime) -> str:
    """The `webhook.test` payload: the same shape, its `data` naming the endpoint it was sent to (its record,
    built through its model)."""
    sent = WebhookTestSent(record=WebhookTestRecord(webhook_id=endpoint_id, message="Test event from Junction."))
    data = {"id": endpoint_id, **sent.record.model_dump()}
    return encode(event_id, wh.TEST_EVENT, at.isoformat(), workspace_id, data)

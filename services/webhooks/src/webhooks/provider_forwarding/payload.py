"""What a subscriber receives for a forwarded provider delivery: the public event payload
`{id, type, timestamp, workspace_id, data}` with `data = {provider, subscription_id, event_type, delivery_id,
body}` (never the url or the sealed secret the event also carries)."""

from __future__ import annotations

from typing import Any

from junction_common.envelope import EventEnvelope
from webhooks.delivery.public_payload import encode

FORWARDED_FIELDS = ("provider", "subscription_id", "event_type", "delivery_id", "body")


def forwarded_data(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data.get(name) for name in FORWARDED_FIELDS}


def forwarded_payload(event: EventEnvelope) -> str:
    """The bytes sent (a pure function of the event, so a redelivered event gives the same body)."""
    return encode(event.event_id, event.type, event.occurred_at.isoformat(), event.workspace_id,
                  forwarded_data(event.data))

"""What a subscriber receives for a forwarded provider delivery: the public event payload with the provider's
delivery in `data`, never the url or the sealed secret the event carries; the same bytes for the same event."""

from __future__ import annotations

import json

from junction_common.envelope import EventEnvelope, utcnow
from webhooks.provider_forwarding.payload import forwarded_payload
from webhooks.provider_forwarding.targets import is_forward_target, target_of

SEALED = {"kid": "k1", "wrapped_key": "d3JhcA==", "nonce": "bm9uY2U=", "ciphertext": "Y2lwaGVy"}


def received() -> EventEnvelope:
    return EventEnvelope(type="provider_webhook.received", stream_id="pwd_1", version=1, workspace_id="ws_1",
                         occurred_at=utcnow(), command_id="c", correlation_id="c", causation_id="c",
                         data={"subscription_id": "pws_1", "provider": "slack", "event_type": "message",
                               "delivery_id": "Ev1", "body": {"text": "hi"}, "deliver_to": "https://example.com/x",
                               "secret_sealed": SEALED})


def test_the_payload_is_the_public_shape_with_the_delivery_only() -> None:
    event = received()
    raw = forwarded_payload(event)
    payload = json.loads(raw)
    assert list(payload) == ["id", "type", "timestamp", "workspace_id", "data"]
    assert (payload["id"], payload["type"], payload["workspace_id"]) == (event.event_id, event.type, "ws_1")
    assert payload["data"] == {"provider": "slack", "subscription_id": "pws_1", "event_type": "message",
                               "delivery_id": "Ev1", "body": {"text": "hi"}}
    assert "example.com" not in raw and "ciphertext" not in raw
    assert forwarded_payload(event) == raw


def test_a_target_reads_like_an_active_endpoint() -> None:
    target = target_of("pws_1", "ws_1", "https://example.com/x", SEALED)
    assert target == {"_id": "pws_1", "workspace_id": "ws_1", "url": "https://example.com/x", "secret_sealed": SEALED,
                      "status": "active", "deleted": False}
    assert is_forward_target("pws_1") and not is_forward_target("wh_01abc")

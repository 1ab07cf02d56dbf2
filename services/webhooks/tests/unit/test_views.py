"""How the webhooks service shows its documents: no sealed secret or lease leaves, and an open delivery is a
queued or processing integration event by its lease."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from webhooks.api.events import EventFilter, event_filter
from webhooks.api.views import delivery_view, endpoint_view, event_status, integration_event_view

NOW = 1_800_000_000.0
DELIVERY = {"_id": "whd_1", "_version": 3, "workspace_id": "ws_1", "webhook_id": "wh_1", "event_id": "evt_1",
            "event_type": "contact.created", "status": "pending", "attempt_count": 0, "attempts": [],
            "lease_until": NOW + 30, "next_attempt_at": NOW, "payload": json.dumps({"id": "evt_1"}),
            "created_ts": NOW}


def test_an_endpoint_shows_no_secret_or_internal_field() -> None:
    doc = {"_id": "wh_1", "_version": 2, "id": "wh_1", "workspace_id": "ws_1", "name": "Hook",
           "event_types": ["contact.*"], "secret_sealed": {"ct": "x"}, "created_ts": NOW,
           "previous_secrets": [{"sealed": {"ct": "y"}, "expires_at": "2027-01-01T00:00:00+00:00"}]}
    view = endpoint_view(doc)
    assert view["events"] == ["contact.*"] and view["id"] == "wh_1"
    assert view["secret_rotation"] == {"previous_secrets_valid_until": ["2027-01-01T00:00:00+00:00"]}
    assert not {"_id", "_version", "workspace_id", "secret_sealed", "previous_secrets", "created_ts"} & set(view)


def test_an_open_delivery_is_processing_while_leased_then_queued() -> None:
    assert event_status(DELIVERY, now=NOW) == "processing"
    assert event_status(DELIVERY, now=NOW + 31) == "queued"
    assert event_status({**DELIVERY, "status": "failed"}, now=NOW) == "failed"
    view = integration_event_view(DELIVERY, detail=True)
    assert "lease_until" not in json.dumps(view) and view["payload"] == {"id": "evt_1"}
    assert "lease_until" not in delivery_view(DELIVERY) and "payload" not in delivery_view(DELIVERY)


def test_the_event_filter_tells_queued_from_processing_by_the_lease() -> None:
    queued = event_filter(EventFilter.model_validate({"status": "queued", "integrationId": "wh_1"}), "ws_1", NOW)
    assert queued == {"workspace_id": "ws_1", "webhook_id": "wh_1", "status": {"$in": ["pending", "retrying"]},
                      "lease_until": {"$lte": NOW}}
    start = datetime(2026, 1, 1, tzinfo=UTC)
    windowed = event_filter(EventFilter.model_validate({"from": start.isoformat()}), "ws_1", NOW)
    assert windowed == {"workspace_id": "ws_1", "created_ts": {"$gte": start.timestamp()}}

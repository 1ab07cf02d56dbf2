"""A flow's event trigger data is the public event payload webhook receivers get for the same event: the flows
service's mapping (flows.triggers.public_event) gives what the webhooks service delivers
(webhooks.delivery.public_payload), event by event."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from flows.triggers.public_event import public_event
from junction_common.envelope import EventEnvelope
from webhooks.delivery.public_payload import public_payload

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def event(event_type: str, data: dict[str, Any], stream: str = "con_1") -> EventEnvelope:
    return EventEnvelope(type=event_type, stream_id=stream, version=1, workspace_id="wrk_1", occurred_at=AT,
                         command_id="cmd_1", correlation_id="c", causation_id="c", data=data)


@pytest.mark.parametrize("internal", [
    event("contact.created", {"record": {"name": "Jane", "email": "jane@acme.com", "created_at": None}}),
    event("contact.updated", {"record": {"name": "Jane", "created_at": "2026-11-30T00:00:00+00:00"},
                              "changes": {"name": "Jane"}}),
    event("deal.archived", {"record": {"title": "Big"}}, "deal_1"),
    event("contact.deleted", {"record": {"name": "Jane"}}),
    event("webhook_endpoint.created", {"record": {"url": "https://x", "secret": "s", "events": ["*"]}}, "wh_1"),
    event("sync_run.completed", {"run_id": "run_1", "status": "succeeded", "records": 10}, "run_1"),
], ids=lambda e: e.type)
def test_the_trigger_data_is_the_webhook_payload(internal: EventEnvelope) -> None:
    assert public_event(internal) == json.loads(public_payload(internal))

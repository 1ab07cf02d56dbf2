"""The one public event payload (junction_common.contracts.public_events) that webhook deliveries and flow event
triggers both carry: the resource as the API returns it, with the fields its contract declares hidden left out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from junction_common.contracts.public_events import public_event, public_payload
from junction_common.envelope import EventEnvelope

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def event(event_type: str, data: dict[str, Any], stream: str = "con_1") -> EventEnvelope:
    return EventEnvelope(type=event_type, stream_id=stream, version=1, workspace_id="wrk_1", occurred_at=AT,
                         command_id="cmd_1", correlation_id="c", causation_id="c", data=data)


def test_a_record_event_gives_the_resource_with_its_timestamps() -> None:
    created = public_event(event("contact.created", {"record": {"name": "Jane", "created_at": None}}))
    assert created["data"] == {"id": "con_1", "name": "Jane", "created_at": AT.isoformat(),
                               "updated_at": AT.isoformat()}
    assert set(created) == {"id", "type", "timestamp", "workspace_id", "data"}
    archived = public_event(event("deal.archived", {"record": {"title": "Big"}}, "deal_1"))
    assert archived["data"]["archived_at"] == AT.isoformat()
    deleted = public_event(event("contact.deleted", {"record": {"name": "Jane"}}))
    assert deleted["data"]["deleted_at"] == AT.isoformat()


def test_declared_hidden_fields_and_sealed_secrets_never_leave() -> None:
    endpoint = public_event(event("webhook_endpoint.created",
                                  {"record": {"url": "https://x", "secret": "s", "events": ["*"]}}, "wh_1"))
    assert "url" not in endpoint["data"] and "secret" not in endpoint["data"]
    assert endpoint["data"]["events"] == ["*"]
    connection = public_event(event("connection.created", {"record": {"name": "c"}, "credentials_sealed": {}}))
    assert "credentials_sealed" not in connection["data"]


def test_an_event_without_a_record_gives_its_data_and_the_bytes_match_the_document() -> None:
    internal = event("sync_run.completed", {"run_id": "run_1", "status": "succeeded"}, "run_1")
    assert public_event(internal)["data"] == {"id": "run_1", "run_id": "run_1", "status": "succeeded"}
    assert json.loads(public_payload(internal)) == public_event(internal)

"""The public event payload of webhook deliveries: `{"id", "type", "timestamp", "workspace_id", "data"}` with
`data` the resource as the API returns it (its `id` included); a replayed event gives the same bytes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from junction_common.envelope import EventEnvelope
from junction_common.testing.infra import eventually
from tests.api import call
from tests.receivers import receiver
from tests.test_webhooks_delivery import make_endpoint, verify
from webhooks.delivery.engine import render
from webhooks.delivery.public_payload import PUBLIC_PAYLOAD_VERSION, webhook_test_payload

AT = datetime(2026, 3, 4, 5, 6, 7, 89, tzinfo=UTC)
KEYS = ["id", "type", "timestamp", "workspace_id", "data"]


def event(type_: str, data: dict[str, Any], stream_id: str = "deal_1") -> EventEnvelope:
    return EventEnvelope(type=type_, schema_version=2, stream_id=stream_id, version=1, workspace_id="wrk_1",
                         occurred_at=AT, command_id="cmd_1", correlation_id="cmd_1", causation_id="cmd_1", data=data)


def test_a_record_event_becomes_the_resource_with_its_id() -> None:
    body = json.loads(render(event("deal.created", {"record": {"name": "Pilot", "archived": False}})))
    assert list(body) == KEYS and PUBLIC_PAYLOAD_VERSION == 1
    assert body["data"] == {"id": "deal_1", "name": "Pilot", "archived": False, "created_at": AT.isoformat(),
                            "updated_at": AT.isoformat()}


def test_a_change_keeps_the_records_creation_time_and_an_archive_adds_its_own() -> None:
    record = {"name": "Pilot", "archived": True, "created_at": "2026-01-01T00:00:00+00:00"}
    body = json.loads(render(event("deal.archived", {"record": record, "changes": {}})))
    assert body["data"] == {"id": "deal_1", **record, "updated_at": AT.isoformat(), "archived_at": AT.isoformat()}
    assert "changes" not in body["data"]


def test_endpoint_events_never_show_secrets_or_the_url() -> None:
    data = {"name": "Ops", "url": "https://x.example/h", "secret_sealed": "s", "status": "active"}
    body = json.loads(render(event("webhook_endpoint.created", data, "wh_1")))
    assert body["data"] == {"id": "wh_1", "name": "Ops", "status": "active"}


def test_a_replayed_event_gives_byte_identical_payloads() -> None:
    live = event("contact.created", {"record": {"name": "Ada", "custom_fields": {"x": 1.5}}}, "con_1")
    replayed = EventEnvelope.from_bytes(live.to_bytes())
    assert render(live) == render(replayed) == render(EventEnvelope.from_bytes(replayed.to_bytes()))


def test_the_test_event_has_the_same_shape() -> None:
    body = json.loads(webhook_test_payload("evt_1", "wrk_1", "wh_1", AT))
    assert list(body) == KEYS and body["type"] == "webhook.test" and body["data"]["id"] == "wh_1"


async def _listed(http: Any, gw: str, key: str, path: str, record_id: str) -> dict[str, Any]:
    status, body = await call(http, "GET", f"{gw}{path}?limit=100", key)
    assert status == 200, body
    return next(item for item in body["data"] if item["id"] == record_id)


@pytest.mark.integration
@pytest.mark.timeout(180)
async def test_delivered_data_is_what_the_api_returns(stack_settings, crm_service, webhooks_service, gateway,
                                                      workspace, http) -> None:
    _, key = workspace
    gw = gateway.url
    async with receiver() as rx:
        endpoint = await make_endpoint(http, gw, key, rx.url, event_types=["contact.created", "task.*"])
        status, made = await call(http, "POST", f"{gw}/v1/contacts", key, {"name": "Ada", "email": "ada@example.com"})
        assert status in (201, 202), made
        contact_id = made["data"]["id"]
        status, made = await call(http, "POST", f"{gw}/v1/tasks", key, {"title": "Call back"})
        assert status in (201, 202), made
        task_id = made["data"]["id"]
        status, body = await call(http, "PATCH", f"{gw}/v1/tasks/{task_id}", key, {"status": "completed"})
        assert status in (200, 202), body
        await eventually(lambda: _async(len(rx.received) >= 3))
        by_type = {r.json["type"]: r for r in rx.received}
        for type_, path, record_id in (("contact.created", "/v1/contacts", contact_id),
                                       ("task.updated", "/v1/tasks", task_id)):
            got = verify(endpoint["secret"], by_type[type_])
            assert list(got) == KEYS and got["data"]["id"] == record_id
            assert got["data"] == await _listed(http, gw, key, path, record_id), type_
        commit = await crm_service.db["event_commits"].find_one({"stream_id": contact_id})
        stored = EventEnvelope.model_validate(commit["events"][0])
        assert render(stored).encode() == by_type["contact.created"].body  # a replay sends the same bytes


async def _async(value: Any) -> Any:
    return value

"""The public event payload of webhook deliveries: `{"id", "type", "timestamp", "workspace_id", "data"}` with
`data` the resource as the API returns it (its `id` included); a replayed event gives the same bytes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from junction_common.envelope import CommandEnvelope, EventEnvelope, stamp
from junction_common.testing.infra import eventually
from tests.api import call
from tests.receivers import receiver
from tests.test_webhooks_delivery import make_endpoint, verify
from webhooks.api.views import endpoint_view, type_view
from webhooks.delivery.engine import render
from webhooks.delivery.public_payload import PUBLIC_PAYLOAD_VERSION, webhook_test_payload
from webhooks.domain import endpoint
from webhooks.projections import apply_endpoint, apply_event_type
from webhooks_contracts import declarations as wh

AT = datetime(2026, 3, 4, 5, 6, 7, 89, tzinfo=UTC)
KEYS = ["id", "type", "timestamp", "workspace_id", "data"]
SEALED = {"kid": "k1", "wrapped_key": "d2s=", "nonce": "bm9uY2U=", "ciphertext": "Y3Q="}
ENDPOINT = {"name": "Ops", "url": "https://x.example/h", "event_types": ["contact.*"], "secret_sealed": SEALED,
            "signing_secret_preview": "whsec_abcd...wxyz"}
ROTATION = {"secret_sealed": {**SEALED, "ciphertext": "bmV3"}, "signing_secret_preview": "...et", "overlap_s": 60}


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


def test_a_version_1_endpoint_event_gives_what_it_always_gave_without_secrets_or_the_url() -> None:
    data = {"name": "Ops", "url": "https://x.example/h", "secret_sealed": "s", "status": "active"}
    body = json.loads(render(event("webhook_endpoint.created", data, "wh_1").model_copy(update={"schema_version": 1})))
    assert body["data"] == {"id": "wh_1", "name": "Ops", "status": "active"}


def _endpoint_events() -> list[EventEnvelope]:
    """A created, rotated and deleted endpoint, decided and stamped as the webhooks service does."""
    events: list[EventEnvelope] = []
    for i, (ctype, data) in enumerate(((wh.CREATE_ENDPOINT, ENDPOINT), (wh.ROTATE_SECRET, ROTATION),
                                       (wh.DELETE_ENDPOINT, {}))):
        cmd = CommandEnvelope(type=ctype, aggregate_id="wh_1", workspace_id="wrk_1", issued_at=AT, data=data)
        events += stamp(cmd, endpoint.decide(cmd, events), "wh_1", len(events), AT + timedelta(minutes=i))
    return events


def test_endpoint_events_carry_the_full_endpoint_as_the_api_returns_it_without_secrets_or_url() -> None:
    doc = None
    for stored in _endpoint_events():
        doc = apply_endpoint(doc, stored)
        body = render(stored)
        assert "secret_sealed" not in body and "ciphertext" not in body and "https://" not in body
        shown = {k: v for k, v in endpoint_view(doc).items() if k != "url"}
        assert json.loads(body)["data"] == shown, stored.type
    assert json.loads(body)["data"]["deleted_at"] == (AT + timedelta(minutes=2)).isoformat()


def test_a_registered_event_type_is_the_type_as_listed() -> None:
    record = {"key": "external.done", "category": "publishing", "description": "Done.", "custom": True}
    registered = event("integration_event_type.registered", {"record": record}, "iet_1")
    assert json.loads(render(registered))["data"] == type_view(apply_event_type(None, registered))


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


@pytest.mark.integration
@pytest.mark.timeout(180)
async def test_delivered_endpoint_events_are_the_endpoint_as_each_write_answered(
        stack_settings, webhooks_service, gateway, workspace, http) -> None:
    _, key = workspace
    gw = gateway.url
    async with receiver("/watcher") as watcher:
        watching = await make_endpoint(http, gw, key, watcher.url, event_types=["webhook_endpoint.*"])
        made = await make_endpoint(http, gw, key, "http://127.0.0.1:9/hook")
        hook = f"{gw}/v1/webhooks/{made['id']}"
        answers = {"webhook_endpoint.created": made}
        for type_, method, path, body in (("webhook_endpoint.updated", "PATCH", "", {"name": "Renamed"}),
                                          ("webhook_endpoint.secret_rotated", "POST", "/secret/rotate", {}),
                                          ("webhook_endpoint.deleted", "DELETE", "", None)):
            status, answered = await call(http, method, hook + path, key, body)
            assert status == 200, answered
            answers[type_] = answered["data"]

        def about_made() -> dict[str, Any]:
            return {r.json["type"]: r for r in watcher.received if r.json["data"]["id"] == made["id"]}

        await eventually(lambda: _async(len(about_made()) == 4), timeout=30)
        for type_, got in about_made().items():
            data = verify(watching["secret"], got)["data"]
            expected = {k: v for k, v in answers[type_].items() if k not in ("url", "secret")}
            assert data == expected, type_
            assert "secret_sealed" not in got.body.decode() and "127.0.0.1:9" not in got.body.decode()

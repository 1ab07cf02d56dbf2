"""The event-type registry and integration event monitoring: filter, detail with logs, retry, cancel."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from conftest import start_webhooks
from junction_common.testing.infra import eventually
from tests.api import call
from tests.receivers import receiver

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


async def test_event_type_catalogue_and_registration(stack_settings, crm_service, webhooks_service, gateway,
                                                     workspace, http) -> None:
    _, key = workspace
    gw = gateway.url
    by_key: dict = {}
    cursor = None
    while True:  # every service's types: more than one page
        query = f"?limit=100&cursor={cursor}" if cursor else "?limit=100"
        status, body = await call(http, "GET", f"{gw}/v1/integrations/events{query}", key)
        assert status == 200
        by_key |= {t["key"]: t for t in body["data"]}
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert by_key["sync_run.completed"]["category"] == "sync" and by_key["execution.completed"]["category"] == "flows"
    assert by_key["contact.created"]["category"] == "crm" and by_key["webhook.test"]["category"] == "webhooks"
    assert {"invoice.paid", "ticket.created", "deal.updated", "lead.converted"} <= set(by_key)
    # Each typed event's payload: its current version and JSON Schema.
    deal = by_key["deal.updated"]
    assert deal["schema_version"] == 2 and {"record", "changes"} <= set(deal["schema"]["properties"])
    status, body = await call(http, "POST", f"{gw}/v1/integrations/events", key,
                              {"key": "external.publish.completed", "category": "publishing",
                               "description": "External publishing workflow completed."})
    assert status == 201 and body["data"]["id"].startswith("iet_")
    assert body["data"]["key"] == "external.publish.completed"
    for duplicate in ("external.publish.completed", "contact.created"):
        status, body = await call(http, "POST", f"{gw}/v1/integrations/events", key,
                                  {"key": duplicate, "category": "publishing"})
        assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR", body
    status, body = await call(http, "POST", f"{gw}/v1/integrations/events", key, {"key": "Not A Key", "category": "x"})
    assert status == 422
    _, body = await call(http, "GET", f"{gw}/v1/integrations/events?category=publishing", key)
    assert [t["key"] for t in body["data"]] == ["external.publish.completed"]
    _, body = await call(http, "GET", f"{gw}/v1/integrations/events?query=publishing%20completed", key)
    assert [t["key"] for t in body["data"]] == ["external.publish.completed"]
    _, body = await call(http, "GET", f"{gw}/v1/integrations/events?query=invoice%20pai", key)
    assert "invoice.paid" in [t["key"] for t in body["data"]]
    # Cursor pages cover the whole catalogue once, in key order.
    seen: list[str] = []
    url = f"{gw}/v1/integrations/events?limit=7"
    while url:
        _, page = await call(http, "GET", url, key)
        seen += [t["key"] for t in page["data"]]
        url = f"{gw}/v1/integrations/events?limit=7&cursor={page['next_cursor']}" if page["next_cursor"] else ""
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == len(by_key) + 1


async def _events(http: Any, gw: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
    status, found = await call(http, "POST", f"{gw}/v1/integrations/events/filter", key, body)
    assert status == 200, found
    return found


async def test_filter_detail_retry_and_cancel(stack_settings, crm_service, webhooks_service, gateway, workspace,
                                              http) -> None:
    _, key = workspace
    gw = gateway.url
    async with receiver() as ok, receiver("/down") as down:
        down.status = 500
        _, good = await call(http, "POST", f"{gw}/v1/webhooks", key, {"url": ok.url, "event_types": ["contact.*"]})
        _, bad = await call(http, "POST", f"{gw}/v1/webhooks", key,
                            {"url": down.url, "event_types": ["contact.created"], "retry_schedule": [0, 0.2]})
        good_id, bad_id = good["data"]["id"], bad["data"]["id"]
        status, _ = await call(http, "POST", f"{gw}/v1/contacts", key, {"name": "Ev Ent", "email": "ev@example.com"})
        assert status == 201

        async def failed() -> list[dict[str, Any]]:
            found = await _events(http, gw, key, {"integrationId": bad_id, "status": "failed"})
            return list(found["data"])

        [event] = await eventually(failed, timeout=30)
        assert event["integrationId"] == bad_id and event["eventType"] == "contact.created" and event["attempts"] == 2
        await eventually(lambda: _truthy(ok.received))
        found = await _events(http, gw, key, {"integrationId": good_id, "status": "succeeded", "page": 1, "limit": 10})
        assert found["meta"] == {"page": 1, "limit": 10, "total": 1}
        everything = await _events(http, gw, key, {"from": "2020-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"})
        assert everything["meta"]["total"] == 2
        assert (await _events(http, gw, key, {"to": "2020-01-01T00:00:00Z"}))["meta"]["total"] == 0
        page2 = await _events(http, gw, key, {"page": 2, "limit": 1})
        assert len(page2["data"]) == 1 and page2["data"][0]["id"] != everything["data"][0]["id"]
        status, body = await call(http, "POST", f"{gw}/v1/integrations/events/filter", key, {"status": "weird"})
        assert status == 422

        status, detail = await call(http, "GET", f"{gw}/v1/integrations/events/{event['id']}", key)
        assert status == 200
        logs = detail["data"]["logs"]
        assert [entry["response"]["status"] for entry in logs] == [500, 500]
        assert logs[0]["request"]["headers"]["webhook-signature"] == "[redacted]"
        assert detail["data"]["payloadRef"]["eventType"] == "contact.created"
        assert detail["data"]["payload"]["data"]["email"] == "ev@example.com"

        # Cancel refuses a finished event; retry makes a new one linked to it and sends it at once.
        status, body = await call(http, "POST", f"{gw}/v1/integrations/events/{event['id']}/cancel", key)
        assert status == 422 and body["error"]["details"]["status"] == "failed"
        down.status = 200
        status, body = await call(http, "POST", f"{gw}/v1/integrations/events/{event['id']}/retry", key)
        assert status == 200, body
        retry = body["data"]
        assert retry["id"] != event["id"] and retry["retryOf"] == event["id"]
        await eventually(lambda: _truthy(len(down.received) == 3))
        assert down.received[-1].headers["webhook-id"] == retry["id"]
        _, original = await call(http, "GET", f"{gw}/v1/integrations/events/{event['id']}", key)
        assert original["data"]["retriedBy"] == [retry["id"]] and original["data"]["status"] == "failed"

        # A queued event can be cancelled (twice: the same answer) and is then never sent.
        status, _ = await call(http, "PATCH", f"{gw}/v1/webhooks/{bad_id}", key, {"status": "paused"})
        assert status == 200
        await call(http, "POST", f"{gw}/v1/contacts", key, {"name": "Held One", "email": "held@example.com"})

        async def queued() -> list[dict[str, Any]]:
            return list((await _events(http, gw, key, {"integrationId": bad_id, "status": "queued"}))["data"])

        [held] = await eventually(queued)
        for _ in range(2):
            status, body = await call(http, "POST", f"{gw}/v1/integrations/events/{held['id']}/cancel", key)
            assert status == 200 and body["data"]["status"] == "cancelled", body
        await call(http, "PATCH", f"{gw}/v1/webhooks/{bad_id}", key, {"status": "active"})
        status, body = await call(http, "POST", f"{gw}/v1/webhooks/{bad_id}/test", key)
        await eventually(lambda: _truthy(len(down.received) == 4))
        assert down.received[-1].json["type"] == "webhook.test"  # the cancelled one never went out


async def test_endpoints_listed_by_the_event_types_they_receive(stack_settings, webhooks_service, gateway,
                                                                workspace, http) -> None:
    _, key = workspace
    gw = gateway.url
    made = {}
    for name, types in (("exact", ["contact.created"]), ("family", ["contact.*"]), ("other", ["deal.*"]),
                        ("all", None)):
        body = {"url": f"https://hooks.example.com/{name}", **({"event_types": types} if types else {})}
        status, created = await call(http, "POST", f"{gw}/v1/webhooks", key, body)
        assert status == 201, created
        made[name] = created["data"]["id"]
    _, listed = await call(http, "GET", f"{gw}/v1/webhooks?event_type=contact.created", key)
    assert sorted(e["id"] for e in listed["data"]) == sorted([made["exact"], made["family"], made["all"]])
    _, listed = await call(http, "GET", f"{gw}/v1/webhooks?event_type=deal.updated&query=hooks", key)
    assert sorted(e["id"] for e in listed["data"]) == sorted([made["other"], made["all"]])


async def _truthy(value: Any) -> Any:
    return value


async def test_cancel_stops_an_event_already_waiting_in_its_endpoints_lane(stack_settings, crm_service,
                                                                           gateway, workspace, http) -> None:
    runtime = await start_webhooks(stack_settings, webhook_endpoint_concurrency=1)
    _, key = workspace
    gw = gateway.url
    try:
        async with receiver() as rx:
            rx.delay_s = 1.5
            _, body = await call(http, "POST", f"{gw}/v1/webhooks", key,
                                 {"url": rx.url, "event_types": ["contact.created"]})
            endpoint_id = body["data"]["id"]
            for n in range(3):
                await call(http, "POST", f"{gw}/v1/contacts", key, {"name": f"Lane {n}", "email": f"l{n}@x.io"})

            async def three() -> list[dict[str, Any]]:
                found = (await _events(http, gw, key, {"integrationId": endpoint_id}))["data"]
                return list(found) if len(found) == 3 else []

            events = await eventually(three)
            # One at a time, 1.5 s each: the newest waits in the lane, already handed to this process.
            newest = max(events, key=lambda e: e["createdAt"])
            status, body = await call(http, "POST", f"{gw}/v1/integrations/events/{newest['id']}/cancel", key)
            assert status == 200 and body["data"]["status"] == "cancelled", body
            await eventually(lambda: _truthy(len(rx.received) == 2), timeout=20)
            await asyncio.sleep(2.0)
            assert newest["id"] not in rx.ids() and len(rx.received) == 2
    finally:
        await runtime.stop()

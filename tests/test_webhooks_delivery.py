"""Webhook endpoints and signed delivery through the gateway, on the real broker and database.

Receivers are local HTTP servers; signatures are checked with the official `standardwebhooks` package.
"""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from junction_common.testing.infra import eventually
from tests.api import call
from tests.receivers import receiver

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


async def make_endpoint(http: Any, gw: str, key: str, url: str, **extra: Any) -> dict[str, Any]:
    status, body = await call(http, "POST", f"{gw}/v1/webhooks", key, {"name": "CRM Ops Webhook", "url": url,
                                                                       "event_types": ["contact.created"], **extra})
    assert status == 201, body
    return body["data"]


async def create_contact(http: Any, gw: str, key: str, email: str) -> str:
    status, body = await call(http, "POST", f"{gw}/v1/contacts", key, {"email": email, "name": "Ada Lovelace"})
    assert status in (201, 202), body
    return str(body["data"].get("id") or body["data"]["resource_id"])


def verify(secret: str, got: Any) -> dict[str, Any]:
    """The official verifier; a secret that is not `whsec_` is given as base64 of its bytes."""
    wh_secret = secret if secret.startswith("whsec_") else base64.b64encode(secret.encode()).decode()
    return Webhook(wh_secret).verify(got.body, {k.lower(): v for k, v in got.headers.items()})


async def deliveries(http: Any, gw: str, key: str, endpoint_id: str, query: str = "") -> list[dict[str, Any]]:
    status, body = await call(http, "GET", f"{gw}/v1/webhooks/{endpoint_id}/deliveries{query}", key)
    assert status == 200, body
    return list(body["data"])


async def test_signed_delivery_of_a_crm_event(stack_settings, crm_service, webhooks_service, gateway, workspace,
                                              http) -> None:
    _, key = workspace
    gw = gateway.url
    async with receiver() as rx:
        endpoint = await make_endpoint(http, gw, key, rx.url)
        secret = endpoint["secret"]
        assert secret.startswith("whsec_") and endpoint["status"] == "active"
        assert endpoint["signing_secret_preview"].startswith("whsec_") and secret not in str(
            endpoint["signing_secret_preview"])
        status, read = await call(http, "GET", f"{gw}/v1/webhooks/{endpoint['id']}", key)
        assert status == 200 and "secret" not in read["data"] and "secret_sealed" not in read["data"]
        contact_id = await create_contact(http, gw, key, "ada@example.com")
        await eventually(lambda: _async(len(rx.of_type("contact.created")) == 1), timeout=30)
        got = rx.of_type("contact.created")[0]
        payload = verify(secret, got)
        assert payload["type"] == "contact.created" and payload["data"]["id"] == contact_id
        assert payload["data"]["email"] == "ada@example.com"
        with pytest.raises(WebhookVerificationError):
            Webhook("whsec_" + base64.b64encode(b"x" * 24).decode()).verify(got.body, got.headers)

        async def logged() -> list[dict[str, Any]]:
            found = await deliveries(http, gw, key, endpoint["id"], "?status=succeeded")
            return found if found and found[0]["attempts"] else []

        [log] = await eventually(logged)
        assert log["id"] == got.headers["webhook-id"] and log["event_type"] == "contact.created"
        assert log["attempt_count"] == 1 and log["attempts"][0]["status_code"] == 200
        assert log["attempts"][0]["latency_ms"] >= 0 and log["attempts"][0]["response_body"] == "ok"
        assert await deliveries(http, gw, key, endpoint["id"], "?status=failed") == []
        assert await deliveries(http, gw, key, endpoint["id"], "?event_type=deal.created") == []
        # Only subscribed types: a company event is not sent to a contact.created endpoint.
        status, _ = await call(http, "POST", f"{gw}/v1/companies", key, {"name": "Initech"})
        assert status in (201, 202)
        # The workflow reference's shape, with a caller-chosen secret.
        status, body = await call(http, "POST", f"{gw}/v1/webhooks", key,
                                  {"url": rx.url + "/wf", "events": ["contact.created"],
                                   "secret": "your-webhook-secret"})
        assert status == 201 and body["data"]["events"] == ["contact.created"], body
        await create_contact(http, gw, key, "grace@example.com")
        await eventually(lambda: _async(len([r for r in rx.received if r.path == "/hook/wf"]) == 1))
        wf = next(r for r in rx.received if r.path == "/hook/wf")
        assert verify("your-webhook-secret", wf)["data"]["email"] == "grace@example.com"
        assert not rx.of_type("company.created")


async def _async(value: Any) -> Any:
    return value


async def test_rotation_signs_with_both_secrets_during_the_overlap(stack_settings, crm_service, webhooks_service,
                                                                   gateway, workspace, http) -> None:
    _, key = workspace
    gw = gateway.url
    async with receiver() as rx:
        endpoint = await make_endpoint(http, gw, key, rx.url)
        old = endpoint["secret"]
        status, body = await call(http, "POST", f"{gw}/v1/webhooks/{endpoint['id']}/secret/rotate", key,
                                  {"overlap_seconds": 3600})
        assert status == 200, body
        new = body["data"]["secret"]
        assert new != old and body["data"]["signing_secret_preview"] != endpoint["signing_secret_preview"]
        await create_contact(http, gw, key, "rot@example.com")
        await eventually(lambda: _async(rx.of_type("contact.created")))
        got = rx.of_type("contact.created")[0]
        assert len(got.headers["webhook-signature"].split(" ")) == 2
        assert verify(old, got)["data"]["email"] == verify(new, got)["data"]["email"] == "rot@example.com"
        # Without overlap the old secret stops at once.
        status, body = await call(http, "POST", f"{gw}/v1/webhooks/{endpoint['id']}/secret/rotate", key,
                                  {"overlap_seconds": 0})
        newest = body["data"]["secret"]
        await create_contact(http, gw, key, "rot2@example.com")
        await eventually(lambda: _async(len(rx.of_type("contact.created")) == 2), timeout=30)
        latest = rx.of_type("contact.created")[1]
        # Still two: the first rotation's overlap keeps the original secret valid; the second secret is gone.
        assert verify(newest, latest) and verify(old, latest)
        with pytest.raises(WebhookVerificationError):
            verify(new, latest)


async def test_retries_until_the_receiver_recovers_and_retry_after_is_honoured(
        stack_settings, crm_service, webhooks_service, gateway, workspace, http) -> None:
    _, key = workspace
    gw = gateway.url
    async with receiver() as rx:
        rx.script = [(500, {}), (503, {"Retry-After": "2"}), (500, {})]
        endpoint = await make_endpoint(http, gw, key, rx.url)
        await create_contact(http, gw, key, "retry@example.com")
        await eventually(lambda: _async(len(rx.received) == 4), timeout=40)
        times = [r.at for r in rx.received]
        assert len(set(rx.ids())) == 1  # one webhook-id across every retry
        assert times[2] - times[1] >= 1.9  # Retry-After: 2 beat the 0.6 s of the schedule
        assert all(verify(endpoint["secret"], r) for r in rx.received)

        async def settled() -> list[dict[str, Any]]:
            found = await deliveries(http, gw, key, endpoint["id"])
            return found if found and found[0]["status"] == "succeeded" else []

        [log] = await eventually(settled)
        assert log["attempt_count"] == 4
        assert [a["status_code"] for a in log["attempts"]] == [500, 503, 500, 200]
        assert "no: 500" in log["attempts"][0]["response_body"]


async def test_schedule_exhausted_then_manual_retry_and_bulk_recovery(
        stack_settings, crm_service, webhooks_service, gateway, workspace, http) -> None:
    _, key = workspace
    gw = gateway.url
    async with receiver() as rx:
        rx.status = 500
        endpoint = await make_endpoint(http, gw, key, rx.url)
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
        for n in range(3):
            await create_contact(http, gw, key, f"down{n}@example.com")

        async def failed() -> list[dict[str, Any]]:
            found = await deliveries(http, gw, key, endpoint["id"], "?status=failed")
            return found if len(found) == 3 else []

        logs = await eventually(failed, timeout=40)
        assert all(d["attempt_count"] == 5 for d in logs)  # the test schedule has five attempts
        rx.status = 200
        status, body = await call(http, "POST", f"{gw}/v1/webhooks/{endpoint['id']}/deliveries/{logs[0]['id']}/retry",
                                  key)
        assert status == 200, body
        await eventually(lambda: _async(rx.received and rx.received[-1].headers["webhook-id"] == logs[0]["id"]))
        status, body = await call(http, "POST", f"{gw}/v1/webhooks/{endpoint['id']}/recover", key, {"since": since})
        assert status == 200 and body["data"]["requeued"] == 2, body

        async def all_ok() -> bool:
            return len(await deliveries(http, gw, key, endpoint["id"], "?status=succeeded")) == 3

        await eventually(all_ok, timeout=30)


async def test_gone_disables_and_events_are_kept_for_catch_up(
        stack_settings, crm_service, webhooks_service, gateway, workspace, http) -> None:
    _, key = workspace
    gw = gateway.url
    async with receiver() as rx, receiver("/watcher") as watcher:
        rx.status = 410
        endpoint = await make_endpoint(http, gw, key, rx.url)
        await make_endpoint(http, gw, key, watcher.url, event_types=["webhook_endpoint.disabled"])
        await create_contact(http, gw, key, "gone@example.com")

        async def disabled() -> dict[str, Any] | None:
            _, body = await call(http, "GET", f"{gw}/v1/webhooks/{endpoint['id']}", key)
            return body["data"] if body["data"]["status"] == "disabled" else None

        data = await eventually(disabled, timeout=30)
        assert "410" in data["disabled_reason"]
        await eventually(lambda: _async(watcher.of_type("webhook_endpoint.disabled")))  # the notification
        assert "secret_sealed" not in watcher.of_type("webhook_endpoint.disabled")[0].body.decode()
        sent = len(rx.received)
        rx.status = 200
        for n in range(3):
            await create_contact(http, gw, key, f"held{n}@example.com")
        status, listed = await call(http, "GET", f"{gw}/v1/webhooks?status=disabled", key)
        assert [e["id"] for e in listed["data"]] == [endpoint["id"]]

        async def held() -> bool:
            return len(await deliveries(http, gw, key, endpoint["id"], "?status=pending")) == 3

        await eventually(held)
        assert len(rx.received) == sent  # kept, not sent, while disabled
        status, body = await call(http, "PATCH", f"{gw}/v1/webhooks/{endpoint['id']}", key, {"status": "active"})
        assert status == 200 and body["data"]["status"] == "active", body
        await eventually(lambda: _async(len({r.json["data"].get("email") for r in rx.received[sent:]}) == 3))


async def test_pause_then_catch_up_from_a_chosen_time(stack_settings, crm_service, webhooks_service, gateway,
                                                      workspace, http) -> None:
    _, key = workspace
    gw = gateway.url
    async with receiver() as rx:
        endpoint = await make_endpoint(http, gw, key, rx.url)
        status, body = await call(http, "PATCH", f"{gw}/v1/webhooks/{endpoint['id']}", key, {"status": "paused"})
        assert status == 200 and body["data"]["status"] == "paused"
        await create_contact(http, gw, key, "early@example.com")
        cut = time.time()
        await asyncio.sleep(0.05)
        await create_contact(http, gw, key, "late@example.com")

        async def held() -> bool:
            return len(await deliveries(http, gw, key, endpoint["id"], "?status=pending")) == 2

        await eventually(held)
        assert rx.received == []
        since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(cut)) + f".{int(cut % 1 * 1000):03d}Z"
        status, body = await call(http, "PATCH", f"{gw}/v1/webhooks/{endpoint['id']}", key,
                                  {"status": "active", "catch_up_since": since})
        assert status == 200, body
        await eventually(lambda: _async(rx.received))
        await eventually(lambda: _async(len(rx.received) == 1))
        assert rx.received[0].json["data"]["email"] == "late@example.com"
        cancelled = await deliveries(http, gw, key, endpoint["id"], "?status=cancelled")
        assert len(cancelled) == 1


async def test_test_event_and_validation(stack_settings, crm_service, webhooks_service, gateway, workspace,
                                         http) -> None:
    _, key = workspace
    gw = gateway.url
    async with receiver() as rx:
        endpoint = await make_endpoint(http, gw, key, rx.url)
        status, body = await call(http, "POST", f"{gw}/v1/webhooks/{endpoint['id']}/test", key)
        assert status == 200 and body["data"]["event_type"] == "webhook.test", body
        await eventually(lambda: _async(rx.of_type("webhook.test")))
        assert verify(endpoint["secret"], rx.of_type("webhook.test")[0])["type"] == "webhook.test"
        for bad in ({"url": "ftp://example.com/x"}, {"url": "https://example.com", "event_types": ["Bad Type"]},
                    {"url": "https://example.com", "event_types": ["a.b"], "events": ["c.d"]},
                    {"url": "https://example.com", "extra": 1}):
            status, body = await call(http, "POST", f"{gw}/v1/webhooks", key, bad)
            assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR", (bad, body)
        status, body = await call(http, "PATCH", f"{gw}/v1/webhooks/{endpoint['id']}", key, {"status": "gone"})
        assert status == 422
        status, body = await call(http, "PATCH", f"{gw}/v1/webhooks/wh_doesnotexist", key, {"status": "paused"})
        assert status == 404 and body["error"]["code"] == "NOT_FOUND"
        status, body = await call(http, "DELETE", f"{gw}/v1/webhooks/{endpoint['id']}", key)
        assert status == 200, body
        status, body = await call(http, "GET", f"{gw}/v1/webhooks", key)
        assert body["data"] == []


async def test_idempotent_create_and_rotation_show_the_secret_once(stack_settings, webhooks_service, gateway,
                                                                   workspace, http) -> None:
    _, key = workspace
    gw = gateway.url
    body = {"name": "Idem", "url": "https://hooks.example.com/idem", "event_types": ["contact.created"]}
    answers = []
    for _ in range(2):
        async with http.post(f"{gw}/v1/webhooks", json=body,
                             headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "create-idem-1"}) as resp:
            answers.append((resp.status, resp.headers.get("Idempotent-Replayed"), await resp.json()))
    (first_status, _, first), (second_status, replayed, second) = answers
    assert first_status == second_status == 201 and replayed == "true", answers
    assert first["data"]["id"] == second["data"]["id"] and first["data"]["secret"].startswith("whsec_")
    assert "secret" not in second["data"]  # shown once: a replay does not repeat it
    status, listed = await call(http, "GET", f"{gw}/v1/webhooks", key)
    assert [e["id"] for e in listed["data"]] == [first["data"]["id"]]
    url = f"{gw}/v1/webhooks/{first['data']['id']}/secret/rotate"
    rotations = []
    for _ in range(2):
        async with http.post(url, json={"overlap_seconds": 60},
                             headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "rotate-1"}) as resp:
            rotations.append((resp.status, await resp.json()))
    assert rotations[0][0] == rotations[1][0] == 200 and "secret" in rotations[0][1]["data"]
    assert "secret" not in rotations[1][1]["data"]
    assert rotations[0][1]["data"]["signing_secret_preview"] == rotations[1][1]["data"]["signing_secret_preview"]
    status, body = await call(http, "POST", f"{gw}/v1/webhooks", key, {**body, "secret": "whsec_not base64!"})
    assert status == 422

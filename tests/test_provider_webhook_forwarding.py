"""Provider webhook deliveries forwarded to the subscriber's url, on the real stack (Kafka, MongoDB, gateway,
connections and webhooks services): a Slack delivery signed with the subscription's signing secret reaches the
incoming URL through the gateway, is recorded by the connections service, and the webhooks service forwards it to
the subscription's url once, signed with the subscription's forwarding secret (Standard Webhooks, checked with the
`standardwebhooks` package), retried after a 500 with the same `webhook-id`; a refused delivery and a duplicate
forward nothing."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from standardwebhooks.webhooks import Webhook

from tests.connections_stack import HooksEdge, arrivals, hooks_edge
from tests.receivers import receiver
from webhooks_contracts import declarations as wh

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest_asyncio.fixture(scope="module")
async def edge() -> AsyncIterator[HooksEdge]:
    async with hooks_edge(("Forwarding",), webhooks={"webhook_retry_schedule": "0,0.5,2,2,2,2,2,2,2,2"}) as running:
        yield running


def slack_headers(body: bytes, secret: str = SLACK_SECRET) -> dict[str, str]:
    at = int(time.time())
    digest = hmac.new(secret.encode(), f"v0:{at}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Signature": f"v0={digest}", "X-Slack-Request-Timestamp": str(at),
            "Content-Type": "application/json"}


def slack_event(event_id: str) -> bytes:
    return json.dumps({"type": "event_callback", "event_id": event_id,
                       "event": {"type": "message", "text": f"hello {event_id}"}}).encode()


async def subscribe(edge: HooksEdge, url: str) -> dict[str, Any]:
    async with edge.http.post(edge.url + "/connect/v1/webhooks/slack/subscribe",
                              json={"url": url, "signingSecret": SLACK_SECRET},
                              headers={"Authorization": f"Bearer {edge.key}"}) as resp:
        body = await resp.json()
        assert resp.status == 201, body
        assert resp.headers["Cache-Control"] == "no-store"  # it shows the forwarding secret this once
    return dict(body["data"])


async def forwarded_log(edge: HooksEdge, subscription_id: str, settled: int) -> list[dict[str, Any]]:
    """The webhooks service's delivery log rows of the subscription once `settled` of them succeeded."""
    rows: list[dict[str, Any]] = []
    for _ in range(150):
        rows = await edge.services["webhooks"].db[wh.DELIVERIES].find({"webhook_id": subscription_id}).to_list()
        if sum(r["status"] == "succeeded" for r in rows) >= settled:
            break
        await asyncio.sleep(0.1)
    return rows


async def test_a_verified_delivery_reaches_the_subscriber_once_signed(
        edge: HooksEdge, capfd: pytest.CaptureFixture[str]) -> None:
    async with receiver() as hook:
        sub = await subscribe(edge, hook.url)
        secret = sub["forwardingSecret"]
        assert secret.startswith("whsec_") and sub["url"] == hook.url
        event = slack_event("EvFwd1")
        status, answer = await edge.deliver(sub["incomingUrl"], event, slack_headers(event))
        assert status == 202 and answer["data"]["duplicate"] is False, answer
        status, answer = await edge.deliver(sub["incomingUrl"], event, slack_headers(event))
        assert status == 202 and answer["data"]["duplicate"] is True, answer

        rows = await forwarded_log(edge, sub["id"], settled=1)
        assert [r["status"] for r in rows] == ["succeeded"], rows
        got = await arrivals(hook, 1)
        assert len(got) == 1, got
        arrived = got[0]
        headers = {k.lower(): v for k, v in arrived.headers.items()}
        payload = Webhook(secret).verify(arrived.body, headers)
        assert payload["type"] == "provider_webhook.received"
        assert set(payload) == {"id", "type", "timestamp", "workspace_id", "data"}
        assert payload["data"] == {"provider": "slack", "subscription_id": sub["id"], "event_type": "message",
                                   "delivery_id": "EvFwd1", "body": json.loads(event)}
        assert hook.url not in arrived.body.decode() and "ciphertext" not in arrived.body.decode()

        status, listed = await edge.call("GET", "/connect/v1/webhooks/slack/subscriptions")
        assert status == 200 and "forwardingSecret" not in json.dumps(listed) and secret not in json.dumps(listed)
        logged = capfd.readouterr()
        assert "provider_webhook_forward_queued" in logged.out and secret not in logged.out + logged.err


async def test_a_delivery_the_subscriber_refuses_is_retried_with_the_same_id(edge: HooksEdge) -> None:
    async with receiver() as hook:
        hook.script = [(500, {})]
        sub = await subscribe(edge, hook.url)
        event = slack_event("EvFwdRetry")
        status, answer = await edge.deliver(sub["incomingUrl"], event, slack_headers(event))
        assert status == 202, answer
        rows = await forwarded_log(edge, sub["id"], settled=1)
        assert len(rows) == 1 and rows[0]["status"] == "succeeded" and rows[0]["attempt_count"] == 2, rows
        assert [a["status_code"] for a in rows[0]["attempts"]] == [500, 200]
        got = await arrivals(hook, 2)
        assert len(got) == 2 and got[0].headers["webhook-id"] == got[1].headers["webhook-id"] == rows[0]["_id"]
        for arrived in got:
            Webhook(sub["forwardingSecret"]).verify(arrived.body, {k.lower(): v for k, v in arrived.headers.items()})


async def test_a_refused_delivery_forwards_nothing(edge: HooksEdge) -> None:
    async with receiver() as hook:
        sub = await subscribe(edge, hook.url)
        forged = slack_event("EvForged")
        status, answer = await edge.deliver(sub["incomingUrl"], forged, slack_headers(forged, "not-the-secret"))
        assert status == 401, answer
        event = slack_event("EvAfterForged")
        status, answer = await edge.deliver(sub["incomingUrl"], event, slack_headers(event))
        assert status == 202, answer
        rows = await forwarded_log(edge, sub["id"], settled=1)
        got = await arrivals(hook, 1)
        assert [json.loads(r["payload"])["data"]["delivery_id"] for r in rows] == ["EvAfterForged"], rows
        assert [r.json["data"]["delivery_id"] for r in got] == ["EvAfterForged"]


async def test_a_deleted_subscription_forwards_no_more(edge: HooksEdge) -> None:
    async with receiver() as hook:
        hook.status = 500  # every attempt fails: the delivery waits for its retries
        sub = await subscribe(edge, hook.url)
        event = slack_event("EvBeforeDelete")
        status, answer = await edge.deliver(sub["incomingUrl"], event, slack_headers(event))
        assert status == 202, answer
        await arrivals(hook, 1)
        status, answer = await edge.call("DELETE", f"/connect/v1/webhooks/slack/subscriptions/{sub['id']}")
        assert status == 200, answer
        rows: list[dict[str, Any]] = []
        for _ in range(150):
            rows = await edge.services["webhooks"].db[wh.DELIVERIES].find({"webhook_id": sub["id"]}).to_list()
            if rows and rows[0]["status"] in ("cancelled", "failed"):
                break
            await asyncio.sleep(0.1)
        assert [r["status"] for r in rows] == ["cancelled"], rows


async def test_a_private_address_is_never_contacted(edge: HooksEdge) -> None:
    """The subscriber's url goes through the webhooks service's address policy at every attempt (test env: only
    loopback is admitted), so an internal address is refused, logged and retried, never reached."""
    sub = await subscribe(edge, "http://10.255.255.1/hook")
    event = slack_event("EvPrivate")
    status, answer = await edge.deliver(sub["incomingUrl"], event, slack_headers(event))
    assert status == 202, answer
    rows: list[dict[str, Any]] = []
    for _ in range(150):
        rows = await edge.services["webhooks"].db[wh.DELIVERIES].find({"webhook_id": sub["id"]}).to_list()
        if rows and rows[0]["attempt_count"] >= 1:
            break
        await asyncio.sleep(0.1)
    assert len(rows) == 1 and rows[0]["status"] in ("retrying", "failed"), rows
    attempt = rows[0]["attempts"][0]
    assert attempt["status_code"] is None and "private" in attempt["error"], attempt

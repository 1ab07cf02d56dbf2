"""Provider webhook subscriptions through the real gateway, on the real stack: a provider simulator that registers
webhook endpoints through its API (Stripe's shape: a form POST answering the endpoint's id and signing secret) is
subscribed to with the connection's key and unregistered on delete; its deliveries, signed with Stripe's scheme,
reach the incoming URL through the gateway with their raw body and headers, are verified, recorded once per delivery
id as `provider_webhook.received` (its topic folds into the deliveries read model), and a bad signature records
nothing. A manual provider (Slack, built in) answers the URL to paste and verifies with the signing secret given."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import pytest_asyncio
from aiohttp import web

from connections_contracts import provider_webhooks as pw
from tests.aiohttp_runner import catch_all, serving
from tests.connections_stack import HooksEdge, hooks_edge
from tests.simulators.manifests import write_manifest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

HOOKS_TYPE = "sim_hooks"
SIGNED_TYPE = "sim_signed"
CONNECTION_SECRET = "conn-held-webhook-secret-123"
SCOPES = ["providers.view", "providers.write", "webhooks.view", "webhooks.write", "proxy.execute"]
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@dataclass
class HooksProvider:
    """Registers webhook endpoints (`POST /webhook_endpoints`, form: url, enabled_events[]) for a known key, answers
    their id and signing secret, deletes them; remembers every request."""

    url: str = ""
    api_key: str = "sim-hooks-key-0123456789"
    secret: str = "whsec_sim_provider_signing_secret_42"
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: list[tuple[str, str, str, bytes]] = field(default_factory=list)  # method, path, authorization, body

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.seen.append((request.method, request.path, request.headers.get("Authorization", ""), body))
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return web.json_response({"error": "unauthorized"}, status=401)
        if request.path == "/me":
            return web.json_response({"id": "acct_1"})
        if request.method == "POST" and request.path == "/webhook_endpoints":
            endpoint_id = f"we_{len(self.endpoints) + 1}"
            self.endpoints[endpoint_id] = {"form": parse_qsl(body.decode())}
            return web.json_response({"id": endpoint_id, "object": "webhook_endpoint", "secret": self.secret})
        if request.method == "DELETE" and request.path.startswith("/webhook_endpoints/"):
            found = self.endpoints.pop(request.path.rsplit("/", 1)[1], None)
            return web.json_response({"deleted": True}, status=200 if found else 404)
        return web.json_response({"error": "not found"}, status=404)

    def manifest(self) -> dict[str, Any]:
        return {
            "type": HOOKS_TYPE, "name": "Sim Hooks", "description": "A provider registering webhooks by API.",
            "categories": ["Payments"], "docs_url": "https://example.com/docs", "api_base_url": self.url,
            "auth": {"kind": "api_key", "location": "header", "name": "Authorization", "template": "Bearer {apiKey}"},
            "test": {"method": "GET", "path": "/me", "expect_status": 200},
            "webhooks": {
                "events": ["invoice.paid", "customer.created"],
                "signing": {"scheme": "stripe", "header": "Stripe-Signature"},
                "subscribe": "api",
                "registration": {"path": "/webhook_endpoints", "encoding": "form",
                                 "body": {"url": "{url}", "enabled_events": "{events}"},
                                 "id_path": "id", "secret_path": "secret",
                                 "delete_path": "/webhook_endpoints/{id}"},
            },
        }


def signed_by_connection_manifest(url: str) -> dict[str, Any]:
    """A provider subscribed by hand whose signing secret is a credential field of the connection."""
    fields = [{"name": "apiKey", "label": "API key"}, {"name": "webhookSecret", "label": "Webhook secret"}]
    return {
        "type": SIGNED_TYPE, "name": "Sim Signed", "description": "Signs with a secret the connection holds.",
        "categories": ["CRM"], "docs_url": "https://example.com/docs", "api_base_url": url,
        "auth": {"kind": "api_key", "location": "header", "name": "Authorization", "template": "Bearer {apiKey}",
                 "fields": fields},
        "test": {"method": "GET", "path": "/me", "expect_status": 200},
        "webhooks": {"events": ["deal.won"], "subscribe": "manual",
                     "signing": {"scheme": "hmac_sha256", "header": "X-Sim-Signature", "secret_field": "webhookSecret"},
                     "delivery_id": "header:X-Sim-Delivery", "event_type": "body:kind"},
    }


@contextlib.asynccontextmanager
async def hooks_provider() -> AsyncIterator[HooksProvider]:
    sim = HooksProvider()
    async with serving(catch_all(sim.handle)) as sim.url:
        yield sim


@pytest_asyncio.fixture(scope="module")
async def sim() -> AsyncIterator[HooksProvider]:
    async with hooks_provider() as running:
        yield running


@pytest_asyncio.fixture(scope="module")
async def edge(tmp_path_factory: pytest.TempPathFactory, sim: HooksProvider) -> AsyncIterator[HooksEdge]:
    folder = Path(tmp_path_factory.mktemp("hooks")) / "providers"
    write_manifest(folder, sim.manifest())
    write_manifest(folder, signed_by_connection_manifest(sim.url))
    connections = {"provider_dirs": str(folder), "provider_allow_networks": "127.0.0.0/8"}
    async with hooks_edge(("A", "B"), SCOPES, connections=connections) as running:
        status, body = await running.call("POST", f"/connect/v1/providers/{HOOKS_TYPE}/connect",
                                          {"credentials": {"apiKey": sim.api_key}})
        assert status == 201 and body["data"]["status"] == "CONNECTED", body
        yield running


def stripe_headers(secret: str, body: bytes, at: int | None = None) -> dict[str, str]:
    at = int(time.time()) if at is None else at
    signature = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={at},v1={signature}", "Content-Type": "application/json"}


async def deliveries(edge: HooksEdge, subscription_id: str, at_least: int = 0) -> list[dict[str, Any]]:
    """The deliveries read model (folded from the provider_webhook topic) once it holds `at_least` rows."""
    rows: list[dict[str, Any]] = []
    for _ in range(100):
        rows = await edge.services["connections"].db[pw.DELIVERIES].find({"subscription_id": subscription_id}) \
            .to_list()
        if len(rows) >= at_least:
            break
        await _pause()
    return rows


async def _pause() -> None:
    import asyncio

    await asyncio.sleep(0.1)


async def received_events(edge: HooksEdge, subscription_id: str) -> list[dict[str, Any]]:
    """Every `provider_webhook.received` event of the subscription in the service's event store."""
    found = []
    async for commit in edge.services["connections"].db["event_commits"].find({}):
        for event in commit.get("events", []):
            if event.get("type") == "provider_webhook.received" and \
                    event.get("data", {}).get("subscription_id") == subscription_id:
                found.append(event)
    return found


async def subscribe(edge: HooksEdge, provider: str, body: dict[str, Any], who: str = "a") -> tuple[int, Any]:
    return await edge.call("POST", f"/connect/v1/webhooks/{provider}/subscribe", body, who)


async def test_an_api_subscription_is_registered_and_its_deliveries_recorded_once(
        edge: HooksEdge, sim: HooksProvider) -> None:
    before = len(sim.seen)
    status, body = await subscribe(edge, HOOKS_TYPE, {"url": "https://example.com/mine", "events": ["invoice.paid"]})
    assert status == 201 and body["success"] is True, body
    sub = body["data"]
    assert (sub["registration"], sub["providerWebhookId"], sub["events"], sub["status"]) == (
        "api", "we_1", ["invoice.paid"], "ACTIVE")
    assert sub["signing"] == {"scheme": "stripe", "header": "Stripe-Signature", "secretSource": "provider"}
    incoming = sub["incomingUrl"]
    method, path, authorization, sent = sim.seen[before]
    assert (method, path, authorization) == ("POST", "/webhook_endpoints", f"Bearer {sim.api_key}")
    assert dict(parse_qsl(sent.decode())) == {"url": incoming, "enabled_events[]": "invoice.paid"}
    assert sim.secret not in json.dumps(body)

    event = json.dumps({"id": "evt_1", "type": "invoice.paid", "data": {"object": {"id": "in_1"}}}).encode()
    status, answer = await edge.deliver(incoming, event, stripe_headers(sim.secret, event))
    assert status == 202 and answer["data"]["duplicate"] is False, answer
    assert (answer["data"]["deliveryId"], answer["data"]["eventType"]) == ("evt_1", "invoice.paid")
    status, again = await edge.deliver(incoming, event, stripe_headers(sim.secret, event))
    assert status == 202 and again["data"]["duplicate"] is True, again
    other = json.dumps({"id": "evt_2", "type": "customer.created"}).encode()  # not among the subscribed events
    status, skipped = await edge.deliver(incoming, other, stripe_headers(sim.secret, other))
    assert status == 202 and skipped["data"]["ignored"] is True, skipped

    rows = await deliveries(edge, sub["id"], at_least=1)
    assert [(r["delivery_id"], r["event_type"], r["provider"]) for r in rows] == [("evt_1", "invoice.paid", HOOKS_TYPE)]
    events = await received_events(edge, sub["id"])
    assert len(events) == 1 and events[0]["data"]["body"] == json.loads(event), events

    status, listed = await edge.call("GET", f"/connect/v1/webhooks/{HOOKS_TYPE}/subscriptions")
    assert status == 200 and [s["id"] for s in listed["data"]] == [sub["id"]], listed
    assert "incomingUrl" not in listed["data"][0] and sim.secret not in json.dumps(listed)


async def test_a_bad_or_stale_signature_is_refused_and_nothing_recorded(edge: HooksEdge, sim: HooksProvider) -> None:
    status, body = await subscribe(edge, HOOKS_TYPE, {"url": "https://example.com/mine"})
    assert status == 201, body
    sub = body["data"]
    assert sub["events"] == ["invoice.paid", "customer.created"]
    event = json.dumps({"id": "evt_bad", "type": "customer.created"}).encode()
    cases = [stripe_headers("whsec_wrong", event), stripe_headers(sim.secret, event, at=int(time.time()) - 3600),
             {"Content-Type": "application/json"}]
    for headers in cases:
        status, answer = await edge.deliver(sub["incomingUrl"], event, headers)
        assert status == 401 and answer["error"]["code"] == "UNAUTHORIZED", answer
    tampered = event.replace(b"evt_bad", b"evt_bae")
    status, answer = await edge.deliver(sub["incomingUrl"], tampered, stripe_headers(sim.secret, event))
    assert status == 401 and answer["error"]["details"]["reason"] == "bad_signature", answer
    for wrong in (sub["incomingUrl"] + "x", sub["incomingUrl"].rsplit("/", 1)[0] + "/short"):
        status, answer = await edge.deliver(wrong, event, stripe_headers(sim.secret, event))
        assert status == 401 and answer["error"]["details"]["reason"] == "unknown_token", answer
    status, answer = await edge.deliver(sub["incomingUrl"], event, stripe_headers(sim.secret, event))
    assert status == 202, answer  # the same delivery, rightly signed, is taken
    assert len(await deliveries(edge, sub["id"], at_least=1)) == 1
    assert len(await received_events(edge, sub["id"])) == 1


async def test_delete_unregisters_at_the_provider_and_closes_the_url(edge: HooksEdge, sim: HooksProvider) -> None:
    status, body = await subscribe(edge, HOOKS_TYPE, {"url": "https://example.com/mine"})
    assert status == 201, body
    sub = body["data"]
    hook_id = sub["providerWebhookId"]
    assert hook_id in sim.endpoints
    status, answer = await edge.call("DELETE", f"/connect/v1/webhooks/{HOOKS_TYPE}/subscriptions/{sub['id']}", who="b")
    assert status == 404, answer  # another workspace's subscription is not found
    status, answer = await edge.call("DELETE", f"/connect/v1/webhooks/{HOOKS_TYPE}/subscriptions/{sub['id']}")
    assert status == 200 and answer["data"]["deleted"] is True and answer["data"]["status"] == "DELETED", answer
    assert hook_id not in sim.endpoints and sim.seen[-1][:2] == ("DELETE", f"/webhook_endpoints/{hook_id}")
    status, listed = await edge.call("GET", f"/connect/v1/webhooks/{HOOKS_TYPE}/subscriptions")
    assert sub["id"] not in [s["id"] for s in listed["data"]]
    event = json.dumps({"id": "evt_late", "type": "invoice.paid"}).encode()
    status, answer = await edge.deliver(sub["incomingUrl"], event, stripe_headers(sim.secret, event))
    assert status == 401, answer
    status, answer = await edge.call("DELETE", f"/connect/v1/webhooks/{HOOKS_TYPE}/subscriptions/{sub['id']}")
    assert status == 404, answer


def slack_headers(body: bytes, at: int | None = None) -> dict[str, str]:
    at = int(time.time()) if at is None else at
    digest = hmac.new(SLACK_SECRET.encode(), f"v0:{at}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Signature": f"v0={digest}", "X-Slack-Request-Timestamp": str(at),
            "Content-Type": "application/json"}


async def test_a_manual_provider_answers_the_url_to_paste_and_verifies_with_the_given_secret(
        edge: HooksEdge, capfd: pytest.CaptureFixture[str]) -> None:
    status, body = await subscribe(edge, "slack", {"url": "https://example.com/slack"})
    assert status == 422 and body["error"]["details"]["pointer"] == "/signingSecret", body
    status, body = await subscribe(edge, "slack", {"url": "https://example.com/slack", "events": ["nope"]})
    assert status == 422 and body["error"]["details"]["unknown"] == ["nope"], body
    status, body = await subscribe(edge, "slack", {"url": "https://example.com/slack", "signingSecret": SLACK_SECRET})
    assert status == 201 and body["data"]["registration"] == "manual", body
    sub = body["data"]
    assert sub["incomingUrl"].endswith(f"/connect/v1/webhooks/slack/incoming/{sub['incomingUrl'].rsplit('/', 1)[1]}")
    assert SLACK_SECRET not in json.dumps(body)

    challenge = json.dumps({"type": "url_verification", "challenge": "abc123"}).encode()
    status, answer = await edge.deliver(sub["incomingUrl"], challenge, slack_headers(challenge))
    assert status == 200 and answer == {"challenge": "abc123"}, answer
    event = json.dumps({"type": "event_callback", "event_id": "Ev1", "event": {"type": "message"}}).encode()
    status, answer = await edge.deliver(sub["incomingUrl"], event, slack_headers(event))
    assert status == 202 and (answer["data"]["eventType"], answer["data"]["deliveryId"]) == ("message", "Ev1"), answer
    status, answer = await edge.deliver(sub["incomingUrl"], event, slack_headers(event, at=int(time.time()) - 900))
    assert status == 401 and answer["error"]["details"]["reason"] == "stale_timestamp", answer

    status, listed = await edge.call("GET", "/connect/v1/webhooks/slack/subscriptions", who="b")
    assert status == 200 and listed["data"] == [], listed  # each workspace sees its own
    logged = capfd.readouterr().out
    token = sub["incomingUrl"].rsplit("/", 1)[1]
    assert "/connect/v1/webhooks/slack/incoming/" in logged and token not in logged  # logs show a short prefix
    assert SLACK_SECRET not in logged


async def test_a_secret_the_connection_holds_verifies_until_it_is_disconnected(
        edge: HooksEdge, sim: HooksProvider) -> None:
    status, body = await edge.call("POST", f"/connect/v1/providers/{SIGNED_TYPE}/connect",
                                   {"credentials": {"apiKey": sim.api_key, "webhookSecret": CONNECTION_SECRET}})
    assert status == 201, body
    status, body = await subscribe(edge, SIGNED_TYPE, {"url": "https://example.com/signed"})
    assert status == 201 and body["data"]["signing"]["secretSource"] == "connection", body
    sub_id, incoming = body["data"]["id"], body["data"]["incomingUrl"]
    event = b'{"kind": "deal.won", "deal": {"id": 7}}'
    signature = hmac.new(CONNECTION_SECRET.encode(), event, hashlib.sha256).hexdigest()
    headers = {"X-Sim-Signature": signature, "X-Sim-Delivery": "d-1", "Content-Type": "application/json"}
    status, answer = await edge.deliver(incoming, event, headers)
    assert status == 202 and (answer["data"]["deliveryId"], answer["data"]["eventType"]) == ("d-1", "deal.won")
    status, body = await edge.call("DELETE", f"/connect/v1/providers/{SIGNED_TYPE}/disconnect")
    assert status == 200, body
    status, answer = await edge.deliver(incoming, event, {**headers, "X-Sim-Delivery": "d-2"})
    assert status == 401 and answer["error"]["details"]["reason"] == "no_secret", answer
    assert [r["delivery_id"] for r in await deliveries(edge, sub_id, at_least=1)] == ["d-1"]
    assert [e["data"]["delivery_id"] for e in await received_events(edge, sub_id)] == ["d-1"]

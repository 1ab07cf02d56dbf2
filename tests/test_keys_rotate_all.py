"""`junction keys rotate` over every sealed secret, on the real stack (Kafka, MongoDB, gateway, the connections and
webhooks services): a tenant integration's secret settings, a Slack subscription's signing and forwarding
secrets, and a webhook endpoint's signing secrets (its current one and the previous one still valid) sealed under
vault key k1; both services restarted with k1 and k2 (k2 active); the operator's command (the CLI entry point)
rotates; each read model equals a fold of its events from scratch; both services restarted with k2 alone: the
integration still tests CONNECTED with its key, a delivery signed with the subscription's secret is still
verified and forwarded signed with the same forwarding secret, and an endpoint's deliveries still verify at the
receiver with the secrets it had before. A second rotation finds nothing to do."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from standardwebhooks.webhooks import Webhook

from conftest import Stack, isolated_stack, start_connections, start_flows, start_gateway
from connections.projections.provider_webhooks import apply_subscription
from connections.projections.tenant_integrations import apply_tenant_integration
from connections_contracts import provider_webhooks as pw
from connections_contracts import tenant_integrations as ti
from flows.projections.triggers import apply_trigger
from flows_contracts import triggers as tx
from junction_common.cli.main import main as cli_main
from junction_common.envelope import EventEnvelope
from junction_common.service import ServiceRuntime
from junction_common.workspaces import create_workspace
from tests.connections_stack import HooksEdge, arrivals, hooks_edge
from tests.receivers import Received, Receiver, receiver
from tests.simulators.api_key_provider import ApiKeyProvider, api_key_provider
from tests.tenant_stack import SCOPES
from tests.test_provider_webhook_forwarding import SLACK_SECRET, slack_event, slack_headers
from webhooks.projections import apply_endpoint
from webhooks_contracts import declarations as wh

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
K1 = "k1:" + base64.b64encode(b"1" * 32).decode()
K2 = "k2:" + base64.b64encode(b"2" * 32).decode()
SIM = "acme_rotating"
SETTINGS_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["apiKey"],
                   "properties": {"apiKey": {"type": "string", "minLength": 1, "writeOnly": True}}}
KEYS_SCOPES = [*SCOPES, "webhooks.view", "webhooks.write"]


@pytest.fixture
async def api() -> AsyncIterator[ApiKeyProvider]:
    async with api_key_provider() as running:
        yield running


@pytest.fixture
async def edge(api: ApiKeyProvider) -> AsyncIterator[HooksEdge]:
    vault = {"vault_keys": K1, "vault_active_key": "k1"}
    async with hooks_edge(("Rotating",), KEYS_SCOPES, webhooks=vault,
                          connections={"provider_allow_networks": "127.0.0.0/8", **vault}) as running:
        yield running


async def arrived(hook: Receiver, at_least: int, kind: str) -> list[Received]:
    got = await arrivals(hook, at_least, kind)
    assert len(got) >= at_least, hook.received
    return got


def verified(secret: str, got: Received) -> dict[str, Any]:
    payload: dict[str, Any] = Webhook(secret).verify(got.body, {k.lower(): v for k, v in got.headers.items()})
    return payload


async def kids(service: ServiceRuntime, collection: str, fields: tuple[str, ...]) -> set[str]:
    """The vault key ids the live documents' sealed secrets are wrapped under (previous secrets included)."""
    found: set[str] = set()
    for doc in await service.db[collection].find({}).to_list():
        found |= {doc[f]["kid"] for f in fields if doc.get(f)}
        found |= {p["secret_sealed"]["kid"] for p in doc.get("previous_secrets") or []}
    return found


async def replayed_alike(service: ServiceRuntime, collection: str, apply: Callable[[Any, EventEnvelope], Any]) -> None:
    """Folding each document's stored events from scratch gives the read model, re-wrapped secrets included."""
    commits = await service.db["event_commits"].find({}).to_list()
    events = sorted((EventEnvelope.model_validate(e) for c in commits for e in c["events"]),
                    key=lambda e: (e.stream_id, e.version))
    docs = await service.db[collection].find({}).to_list()
    assert docs
    for doc in docs:
        folded: dict[str, Any] | None = None
        for event in (e for e in events if e.stream_id == doc["_id"]):
            folded = apply(folded, event)
        assert {k: v for k, v in doc.items() if not k.startswith("_")} == folded


async def rotate_through_the_cli(stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                 services: tuple[str, ...] = ("connections", "webhooks")) -> dict[str, Any]:
    """The operator's command, as run from a shell, for the services this test runs: exit 0, one JSON summary per
    service."""
    settings = stack.connections
    monkeypatch.setenv("JUNCTION_SERVICE_URLS", json.dumps(settings.service_urls))
    monkeypatch.setenv("JUNCTION_INTERNAL_SECRET", settings.internal_secret)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        await asyncio.to_thread(cli_main, ["keys", "rotate", *(f"--service={name}" for name in services)])
    out = capsys.readouterr().out
    report: dict[str, Any] = json.JSONDecoder().raw_decode(out[out.rindex(f'{{\n  "{services[0]}"'):])[0]
    assert exited.value.code == 0, report
    return report


async def sealed_under_k1(edge: HooksEdge, api: ApiKeyProvider, hook: Receiver, forwarded: Receiver
                          ) -> dict[str, Any]:
    """An integration, a forwarding Slack subscription (one delivery forwarded) and an endpoint whose secret was
    rotated with an overlap: every secret sealed under k1."""
    status, body = await edge.call("POST", "/connect/v1/custom-providers",
                                   {**api.manifest(SIM), "settings_schema": SETTINGS_SCHEMA})
    assert status == 201, body
    status, body = await edge.call("POST", "/v1/integrations", {"service": SIM,
                                                                "settings": {"apiKey": api.api_key}})
    assert status == 201, body
    made: dict[str, Any] = {"integration": body["data"]["id"]}
    status, body = await edge.call("POST", "/connect/v1/webhooks/slack/subscribe",
                                   {"url": forwarded.url, "signingSecret": SLACK_SECRET})
    assert status == 201, body
    made["subscription"] = body["data"]
    event = slack_event("EvBeforeRotation")
    status, answer = await edge.deliver(made["subscription"]["incomingUrl"], event, slack_headers(event))
    assert status == 202, answer
    await arrived(forwarded, 1, "provider_webhook.received")  # its forwarding target is kept, sealed under k1
    status, body = await edge.call("POST", "/v1/webhooks", {"name": "Ops", "url": hook.url,
                                                            "event_types": ["contact.created"]})
    assert status == 201, body
    made["endpoint"], made["old_secret"] = body["data"]["id"], body["data"]["secret"]
    status, body = await edge.call("POST", f"/v1/webhooks/{made['endpoint']}/secret/rotate",
                                   {"overlap_seconds": 86400})
    assert status == 200, body
    made["new_secret"] = body["data"]["secret"]
    return made


async def assert_every_secret_under(edge: HooksEdge, kid: str) -> None:
    connections, webhooks = edge.services["connections"], edge.services["webhooks"]
    assert await kids(connections, ti.COLLECTION, ("settings_sealed",)) == {kid}
    assert await kids(connections, pw.SUBSCRIPTIONS, pw.SEALED_FIELDS) == {kid}
    assert await kids(webhooks, wh.ENDPOINTS, ("secret_sealed",)) == {kid}
    assert await kids(webhooks, "provider_forward_targets", ("secret_sealed",)) == {kid}


async def test_every_sealed_secret_is_rotated_and_works_under_the_new_key_alone(
        edge: HooksEdge, api: ApiKeyProvider, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    async with receiver() as hook, receiver("/forwarded") as forwarded:
        made = await sealed_under_k1(edge, api, hook, forwarded)
        await assert_every_secret_under(edge, "k1")

        await edge.restart(vault_keys=f"{K1},{K2}", vault_active_key="k2")  # both keys: nothing stops working
        report = await rotate_through_the_cli(edge.stack, monkeypatch, capsys)
        cx_kinds, wh_kinds = report["connections"]["kinds"], report["webhooks"]["kinds"]
        assert report["connections"]["active_key"] == report["webhooks"]["active_key"] == "k2", report
        assert cx_kinds["tenant_integrations"] == {"rotated": 1, "current": 0, "failed": []}, report
        assert cx_kinds["provider_webhook_subscriptions"] == {"rotated": 1, "current": 0, "failed": []}, report
        assert wh_kinds == {"endpoints": {"rotated": 1, "current": 0, "failed": []},
                            "forward_targets": {"rotated": 1, "current": 0, "failed": []}}, report
        await assert_every_secret_under(edge, "k2")
        connections, webhooks = edge.services["connections"], edge.services["webhooks"]
        await replayed_alike(connections, ti.COLLECTION, apply_tenant_integration)
        await replayed_alike(connections, pw.SUBSCRIPTIONS, apply_subscription)
        await replayed_alike(webhooks, wh.ENDPOINTS, apply_endpoint)

        await edge.restart(vault_keys=K2, vault_active_key="k2")  # the old key is gone
        status, body = await edge.call("POST", f"/v1/integrations/{made['integration']}/test")
        assert status == 200 and body["data"]["success"] is True and body["data"]["status"] == "CONNECTED", body
        assert api.requests[-1].headers["Authorization"] == f"Bearer {api.api_key}"

        event = slack_event("EvAfterRotation")
        status, answer = await edge.deliver(made["subscription"]["incomingUrl"], event, slack_headers(event))
        assert status == 202 and answer["data"]["duplicate"] is False, answer
        after = (await arrived(forwarded, 2, "provider_webhook.received"))[-1]
        assert verified(made["subscription"]["forwardingSecret"], after)["data"]["delivery_id"] == "EvAfterRotation"
        forged = slack_event("EvForged")
        status, answer = await edge.deliver(made["subscription"]["incomingUrl"], forged,
                                            slack_headers(forged, "not-the-secret"))
        assert status == 401, answer

        status, body = await edge.call("POST", f"/v1/webhooks/{made['endpoint']}/test")
        assert status == 200, body
        [test_event] = await arrived(hook, 1, "webhook.test")
        assert verified(made["new_secret"], test_event)["type"] == "webhook.test"
        assert verified(made["old_secret"], test_event)["type"] == "webhook.test"  # the overlap still signs

        again = await rotate_through_the_cli(edge.stack, monkeypatch, capsys)
        assert again["connections"]["rotated"] == again["webhooks"]["rotated"] == 0, again
        assert again["connections"]["kinds"]["tenant_integrations"]["current"] == 1, again
        assert again["webhooks"]["current"] == 2, again


FLOW_SECRET = "flows-hook-secret-0123456789"


async def flow_hook(http: aiohttp.ClientSession, gateway_url: str, url: str, payload: bytes,
                    secret: str | None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        digest = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
        headers["X-Junction-Signature"] = f"sha256={digest}"
    path = url[url.index("/connect/v1/flow-hooks/"):]
    async with http.post(gateway_url + path, data=payload, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)


async def test_a_flows_webhook_trigger_secret_is_rotated_and_still_verifies(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    async with isolated_stack() as stack, contextlib.AsyncExitStack() as running:
        connections = await start_connections(stack)
        running.push_async_callback(connections.stop)
        flows = {"now": await start_flows(stack, vault_keys=K1, vault_active_key="k1")}

        async def stop_flows() -> None:
            await flows["now"].stop()

        running.push_async_callback(stop_flows)
        gateway = await running.enter_async_context(start_gateway(stack.gateway))
        http = await running.enter_async_context(aiohttp.ClientSession())
        _, key = await create_workspace(stack.gateway, "Flows rotating", plan="business")
        headers = {"Authorization": f"Bearer {key}"}
        flow = {"name": "hooked", "status": "published",
                "nodes": [{"id": "trigger", "type": "trigger", "config": {"kind": "webhook"}}], "edges": []}
        async with http.post(gateway.url + "/v1/workflows", json=flow, headers=headers) as resp:
            assert resp.status == 201, await resp.text()
            flow_id = (await resp.json())["data"]["id"]
        async with http.post(gateway.url + f"/connect/v1/flows/{flow_id}/triggers", headers=headers,
                             json={"kind": "webhook", "config": {"secret": FLOW_SECRET}}) as resp:
            assert resp.status == 201, await resp.text()
            hook_url = (await resp.json())["data"]["webhookUrl"]
        assert await kids(flows["now"], tx.TRIGGERS, ("secret_sealed",)) == {"k1"}

        await flows["now"].stop()
        flows["now"] = await start_flows(stack, vault_keys=f"{K1},{K2}", vault_active_key="k2")
        report = await rotate_through_the_cli(stack, monkeypatch, capsys, ("flows",))
        assert report["flows"]["kinds"]["webhook_triggers"] == {"rotated": 1, "current": 0, "failed": []}, report
        assert await kids(flows["now"], tx.TRIGGERS, ("secret_sealed",)) == {"k2"}
        await replayed_alike(flows["now"], tx.TRIGGERS, apply_trigger)

        await flows["now"].stop()
        flows["now"] = await start_flows(stack, vault_keys=K2, vault_active_key="k2")  # the old key is gone
        payload = b'{"after": "rotation"}'
        status, answer = await flow_hook(http, gateway.url, hook_url, payload, "not-the-secret-at-all")
        assert status == 401, answer
        status, answer = await flow_hook(http, gateway.url, hook_url, payload, FLOW_SECRET)
        assert status == 202 and answer["data"]["executionId"], answer

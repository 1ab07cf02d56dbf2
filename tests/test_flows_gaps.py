"""The flows service's remaining gaps (issue 15, FL-GAPS), through the real gateway on the real stack: a flow's
webhook answer headers reach the caller (the gateway unwraps the ones the service marks, never those it owns), and
trigger subscriptions are edited (config checked as on create, the webhook URL kept unless rotated, the secret
rotated)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from flows_contracts import triggers as tx
from junction_common.testing.infra import eventually
from tests.flows_edge import FlowsEdge, flows_edge

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

Doc = dict[str, Any]
OWNED_BY_THE_GATEWAY = {"Set-Cookie": "session=stolen", "X-Frame-Options": "ALLOWALL", "Connection": "upgrade",
                        "X-RateLimit-Limit": "999999", "Strict-Transport-Security": "max-age=0",
                        "X-Request-Id": "forged", "Access-Control-Allow-Origin": "*"}


@pytest_asyncio.fixture(scope="module")
async def edge(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FlowsEdge]:
    async with flows_edge(Path(tmp_path_factory.mktemp("gaps")), trigger_tick_s=0.2) as running:
        yield running


async def new_flow(edge: FlowsEdge, nodes: list[Doc], edges: list[Doc], name: str = "gaps flow") -> str:
    status, answer = await edge.call("POST", "/v1/workflows", {"name": name, "status": "published",
                                                               "nodes": nodes, "edges": edges})
    assert status == 201, answer
    flow_id: str = answer["data"]["id"]
    return flow_id


async def echo_flow(edge: FlowsEdge, kind: str) -> str:
    return await new_flow(edge, [{"id": "trigger", "type": "trigger", "config": {"kind": kind}},
                                 {"id": "echo", "type": "transform", "config": {"output": {"got": "{{ trigger }}"}}}],
                          [{"source": "trigger", "target": "echo"}])


async def subscribe(edge: FlowsEdge, flow_id: str, body: Doc) -> Doc:
    status, answer = await edge.call("POST", f"/connect/v1/flows/{flow_id}/triggers", body)
    assert status == 201, answer
    data: Doc = answer["data"]
    return data


async def post_hook(edge: FlowsEdge, url: str, payload: bytes, headers: dict[str, str] | None = None
                    ) -> tuple[int, Any, dict[str, str]]:
    path = url[url.index("/connect/v1/flow-hooks/"):]
    async with edge.http.post(edge.url + path, data=payload,
                              headers={"Content-Type": "application/json", **(headers or {})}) as resp:
        text, headers_got = await resp.text(), {k.lower(): v for k, v in resp.headers.items()}
        return resp.status, json.loads(text) if text.startswith("{") else text, headers_got


def signature(secret: str, payload: bytes) -> dict[str, str]:
    return {"X-Junction-Signature": "sha256=" + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()}


async def test_a_respond_step_sets_its_own_headers_but_never_the_gateways(edge: FlowsEdge) -> None:
    headers = {"X-Flow": "yes", "Link": "<https://example.com/next>; rel=next", "Cache-Control": "no-store",
               "X-Lead-Id": "{{ trigger.body.id }}", **OWNED_BY_THE_GATEWAY}
    flow = await new_flow(edge, [{"id": "trigger", "type": "trigger", "config": {"kind": "webhook"}},
                                 {"id": "reply", "type": "respond_to_webhook",
                                  "config": {"status": 200, "body": "ok", "headers": headers}}],
                          [{"source": "trigger", "target": "reply"}])
    trigger = await subscribe(edge, flow, {"kind": "webhook"})
    status, answer, got = await post_hook(edge, trigger["webhookUrl"], b'{"id": "ld_7"}')
    assert status == 200 and answer == "ok", (answer, got)
    assert got["x-flow"] == "yes" and got["link"] == headers["Link"] and got["cache-control"] == "no-store"
    assert got["x-lead-id"] == "ld_7"
    assert "set-cookie" not in got and "access-control-allow-origin" not in got
    assert got["x-frame-options"] == "DENY" and got.get("connection") != "upgrade"
    assert got.get("x-ratelimit-limit") != "999999"
    assert "strict-transport-security" not in got and got.get("x-request-id") != "forged"
    assert not any(name.startswith("x-junction-relay-") for name in got)


async def test_a_webhook_triggers_own_answer_carries_its_configured_headers(edge: FlowsEdge) -> None:
    flow = await echo_flow(edge, "webhook")
    trigger = await subscribe(edge, flow, {"kind": "webhook", "config": {
        "responseHeaders": {"X-Received-By": "junction", "Set-Cookie": "a=b"}}})
    status, answer, got = await post_hook(edge, trigger["webhookUrl"], b"{}")
    assert status == 202, answer
    assert got["x-received-by"] == "junction" and "set-cookie" not in got
    bad = {"kind": "webhook", "config": {"responseHeaders": {"X-Bad": "two\nlines"}}}
    status, answer = await edge.call("POST", f"/connect/v1/flows/{flow}/triggers", bad)
    assert status == 422, answer


async def test_a_cron_trigger_is_edited_with_the_same_checks(edge: FlowsEdge) -> None:
    flow = await echo_flow(edge, "cron")
    trigger = await subscribe(edge, flow, {"kind": "cron", "config": {"cron": "0 0 1 1 *"}})
    path = f"/connect/v1/flows/{flow}/triggers/{trigger['id']}"
    status, answer = await edge.call("PATCH", path, {"config": {"cron": "often"}})
    assert status == 422 and answer["error"]["code"] == "VALIDATION_ERROR", answer
    status, answer = await edge.call("PATCH", path, {"config": {"cron": "* * * * * *", "timezone": "Europe/Paris"}})
    assert status == 200, answer
    assert answer["data"]["config"] == {"cron": "* * * * * *", "timezone": "Europe/Paris"}
    assert answer["data"]["id"] == trigger["id"] and answer["data"]["updatedAt"] >= trigger["updatedAt"]

    async def fired() -> list[Doc] | None:
        status, answer = await edge.call("GET", f"/v1/workflows/{flow}/executions?limit=10")
        return answer["data"] or None if status == 200 else None

    started = await eventually(fired, 30)  # the every-second schedule now fires (the yearly one never would)
    status, answer = await edge.call("GET", f"/v1/executions/{started[-1]['id']}")
    assert status == 200 and answer["data"]["trigger"]["data"]["cron"] == "* * * * * *", answer
    status, answer = await edge.call("PATCH", path, {"config": {"timezone": None, "cron": "0 0 1 1 *"}})
    assert status == 200 and answer["data"]["config"] == {"cron": "0 0 1 1 *"}, answer


async def test_a_webhook_keeps_its_url_unless_rotated_and_its_secret_rotates(edge: FlowsEdge) -> None:
    flow = await echo_flow(edge, "webhook")
    trigger = await subscribe(edge, flow, {"kind": "webhook", "config": {"secret": "first-secret-of-16+"}})
    path, payload = f"/connect/v1/flows/{flow}/triggers/{trigger['id']}", b'{"n": 1}'
    status, answer = await edge.call("PATCH", path, {"config": {"secret": "second-secret-of-16+"}})
    assert status == 200 and answer["data"]["hasSecret"] is True and "webhookUrl" not in answer["data"], answer
    assert "secret" not in answer["data"]["config"]
    await asyncio.sleep(1.1)  # another process's token cache (none here, but as documented) has expired
    status, _, _ = await post_hook(edge, trigger["webhookUrl"], payload, signature("first-secret-of-16+", payload))
    assert status == 401
    status, answer, _ = await post_hook(edge, trigger["webhookUrl"], payload,
                                        signature("second-secret-of-16+", payload))
    assert status == 202, answer  # the same URL, the new secret
    status, answer = await edge.call("PATCH", path, {"config": {"secret": "short"}})
    assert status == 422, answer
    status, answer = await edge.call("PATCH", path, {"config": {"secret": None}, "rotateToken": True})
    assert status == 200 and answer["data"]["hasSecret"] is False, answer
    new_url = answer["data"]["webhookUrl"]
    assert new_url != trigger["webhookUrl"]
    status, _, _ = await post_hook(edge, trigger["webhookUrl"], payload)
    assert status == 404
    status, answer, _ = await post_hook(edge, new_url, payload)
    assert status == 202, answer


async def test_a_trigger_of_another_workspace_or_deleted_is_not_found(edge: FlowsEdge) -> None:
    flow = await echo_flow(edge, "event")
    trigger = await subscribe(edge, flow, {"kind": "event", "config": {"eventType": "contact.created"}})
    path = f"/connect/v1/flows/{flow}/triggers/{trigger['id']}"
    status, answer = await edge.call("PATCH", path, {"config": {"eventType": "deal.created"}}, key=edge.other_key)
    assert status == 404, answer
    status, answer = await edge.call("PATCH", path, {"config": {"eventType": "Not An Event"}})
    assert status == 422, answer
    status, answer = await edge.call("PATCH", path, {"rotateToken": True})
    assert status == 422, answer  # only a webhook has a token
    status, answer = await edge.call("PATCH", path, {"config": {"eventType": "deal.created"}})
    assert status == 200 and answer["data"]["config"] == {"eventType": "deal.created"}, answer
    doc = await edge.flows.db[tx.TRIGGERS].find_one({"_id": trigger["id"]})
    assert doc is not None and doc["since_ts"] > doc["created_ts"]
    status, _ = await edge.call("DELETE", path)
    assert status == 200
    status, answer = await edge.call("PATCH", path, {"config": {"eventType": "contact.created"}})
    assert status == 404, answer

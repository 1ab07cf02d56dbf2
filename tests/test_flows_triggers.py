"""Flow triggers through the real gateway on the real stack (Kafka, MongoDB, the connections, crm and flows
services, the provider simulator): the subscriptions API, and each trigger kind starting an execution that runs
to completion — webhook (with and without an HMAC secret), a CRM event (a contact created through the gateway),
a form submission, a poll of the provider with dedup across re-publishing, and cron once per slot across two
flows replicas."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from conftest import start_flows
from flows_contracts import triggers as tx
from junction_common.testing.infra import eventually
from tests.flows_edge import SIM, FlowsEdge, flows_edge

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

Doc = dict[str, Any]


@pytest_asyncio.fixture(scope="module")
async def edge(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FlowsEdge]:
    async with flows_edge(Path(tmp_path_factory.mktemp("triggers")), with_crm=True, trigger_tick_s=0.2) as running:
        yield running


async def new_flow(edge: FlowsEdge, kind: str, key: str | None = None) -> str:
    """A published flow: its trigger, then a transform echoing the trigger data."""
    body = {"name": f"{kind} flow", "status": "published",
            "nodes": [{"id": "trigger", "type": "trigger", "config": {"kind": kind}},
                      {"id": "echo", "type": "transform", "config": {"output": {"got": "{{ trigger }}"}}}],
            "edges": [{"source": "trigger", "target": "echo"}]}
    status, answer = await edge.call("POST", "/v1/workflows", body, key=key)
    assert status == 201, answer
    flow_id: str = answer["data"]["id"]
    return flow_id


async def subscribe(edge: FlowsEdge, flow_id: str, body: Doc, key: str | None = None) -> Doc:
    status, answer = await edge.call("POST", f"/connect/v1/flows/{flow_id}/triggers", body, key=key)
    assert status == 201, answer
    data: Doc = answer["data"]
    return data


async def executions_of(edge: FlowsEdge, flow_id: str) -> list[Doc]:
    status, answer = await edge.call("GET", f"/v1/workflows/{flow_id}/executions?limit=100")
    assert status == 200, answer
    found: list[Doc] = answer["data"]
    return found


async def completed(edge: FlowsEdge, execution_id: str) -> Doc:
    async def done() -> Doc | None:
        status, answer = await edge.call("GET", f"/v1/executions/{execution_id}")
        return answer["data"] if status == 200 and answer["data"]["status"] == "completed" else None

    result: Doc = await eventually(done, 30)
    return result


async def hook(edge: FlowsEdge, url: str, payload: bytes, headers: dict[str, str] | None = None) -> tuple[int, Doc]:
    path = url[url.index("/connect/v1/flow-hooks/"):]
    async with edge.http.post(edge.url + path, data=payload, headers={"Content-Type": "application/json",
                                                                       **(headers or {})}) as resp:
        return resp.status, await resp.json(content_type=None)


async def test_a_webhook_trigger_starts_an_execution_with_the_request(edge: FlowsEdge) -> None:
    flow = await new_flow(edge, "webhook")
    trigger = await subscribe(edge, flow, {"kind": "webhook"})
    assert trigger["kind"] == "webhook" and trigger["flowId"] == flow and trigger["hasSecret"] is False
    assert trigger["webhookUrl"].startswith("http") and "tokenHash" not in trigger
    status, answer = await hook(edge, trigger["webhookUrl"] + "?source=test", b'{"email": "ada@example.com"}')
    assert status == 202, answer
    execution = await completed(edge, answer["data"]["executionId"])
    assert execution["workflow_id"] == flow and execution["trigger"]["type"] == "webhook"
    retried = [await hook(edge, trigger["webhookUrl"], b"{}", {"X-Request-Id": "req_hook_retry_1"}) for _ in range(2)]
    assert [s for s, _ in retried] == [202, 202] and retried[0][1]["data"] == retried[1][1]["data"]
    await completed(edge, retried[0][1]["data"]["executionId"])
    assert len(await executions_of(edge, flow)) == 2  # a retried delivery (same request id) starts one execution
    assert execution["trigger"]["data"]["body"] == {"email": "ada@example.com"}
    assert execution["trigger"]["data"]["query"] == {"source": "test"}


async def test_a_flow_with_a_respond_step_answers_its_webhook(edge: FlowsEdge) -> None:
    body = {"name": "answering flow", "status": "published",
            "nodes": [{"id": "trigger", "type": "trigger", "config": {"kind": "webhook"}},
                      {"id": "reply", "type": "respond_to_webhook",
                       "config": {"status": 201, "body": {"hello": "{{ trigger.body.name }}"},
                                  "headers": {"X-Flow": "yes", "Set-Cookie": "no"}}}],
            "edges": [{"source": "trigger", "target": "reply"}]}
    status, answer = await edge.call("POST", "/v1/workflows", body)
    assert status == 201, answer
    trigger = await subscribe(edge, answer["data"]["id"], {"kind": "webhook"})
    path = trigger["webhookUrl"][trigger["webhookUrl"].index("/connect/"):]
    async with edge.http.post(edge.url + path, json={"name": "Ada"}) as resp:
        assert resp.status == 201, await resp.text()
        assert await resp.json() == {"hello": "Ada"}
        assert "Set-Cookie" not in resp.headers  # (the gateway relays only its own list of answer headers)


async def test_a_webhook_secret_refuses_unsigned_calls(edge: FlowsEdge) -> None:
    flow = await new_flow(edge, "webhook")
    trigger = await subscribe(edge, flow, {"kind": "webhook", "config": {"secret": "s3cret-of-16-chars+"}})
    assert trigger["hasSecret"] is True and "secret" not in json.dumps(trigger["config"])
    payload = b'{"n": 1}'
    status, answer = await hook(edge, trigger["webhookUrl"], payload)
    assert status == 401 and answer["error"]["code"] == "UNAUTHORIZED", answer
    status, _ = await hook(edge, trigger["webhookUrl"], payload, {"X-Junction-Signature": "sha256=" + "0" * 64})
    assert status == 401
    good = hmac.new(b"s3cret-of-16-chars+", payload, hashlib.sha256).hexdigest()
    status, answer = await hook(edge, trigger["webhookUrl"], payload, {"X-Junction-Signature": f"sha256={good}"})
    assert status == 202, answer
    await completed(edge, answer["data"]["executionId"])
    assert len(await executions_of(edge, flow)) == 1


async def test_the_webhook_secret_and_token_are_never_stored_or_shown_in_clear(edge: FlowsEdge) -> None:
    secret = "never-in-clear-" + "x" * 12
    flow = await new_flow(edge, "webhook")
    trigger = await subscribe(edge, flow, {"kind": "webhook", "config": {"secret": secret}})
    token = trigger["webhookUrl"].rsplit("/", 1)[-1]
    _, listed = await edge.call("GET", f"/connect/v1/flows/{flow}/triggers")
    stored = [d async for d in edge.flows.db["event_commits"].find({"stream_id": trigger["id"]})]
    stored += [d async for d in edge.flows.db[tx.TRIGGERS].find({"_id": trigger["id"]})]
    assert len(stored) == 2 and "secret_sealed" in json.dumps(stored[0], default=str)
    for text in (json.dumps(listed), json.dumps(stored, default=str)):
        assert secret not in text and token not in text


async def test_subscriptions_are_listed_and_deleted(edge: FlowsEdge) -> None:
    flow = await new_flow(edge, "webhook")
    hooked = await subscribe(edge, flow, {"kind": "webhook"})
    manual = await subscribe(edge, flow, {"kind": "manual"})
    status, answer = await edge.call("GET", f"/connect/v1/flows/{flow}/triggers")
    assert status == 200 and [t["id"] for t in answer["data"]] == [hooked["id"], manual["id"]], answer
    assert all("webhookUrl" not in t and "tokenHash" not in t for t in answer["data"])
    status, answer = await edge.call("DELETE", f"/connect/v1/flows/{flow}/triggers/{hooked['id']}")
    assert status == 200 and answer["data"]["status"] == "deleted", answer
    status, _ = await hook(edge, hooked["webhookUrl"], b"{}")
    assert status == 404
    status, answer = await edge.call("GET", f"/connect/v1/flows/{flow}/triggers")
    assert [t["id"] for t in answer["data"]] == [manual["id"]]
    status, _ = await edge.call("DELETE", f"/connect/v1/flows/{flow}/triggers/{hooked['id']}")
    assert status == 404
    status, answer = await edge.call("GET", f"/connect/v1/flows/{flow}/triggers", key=edge.other_key)
    assert status == 404, answer


async def test_deleting_a_flow_deletes_its_subscriptions(edge: FlowsEdge) -> None:
    flow = await new_flow(edge, "webhook")
    hooked = await subscribe(edge, flow, {"kind": "webhook"})
    await subscribe(edge, flow, {"kind": "cron", "config": {"cron": "0 0 1 1 *"}})
    status, answer = await edge.call("DELETE", f"/v1/workflows/{flow}")
    assert status in (200, 204), answer

    async def gone() -> bool:
        found = [d async for d in edge.flows.db[tx.TRIGGERS].find({"flow_id": flow})]
        return len(found) == 2 and all(d["status"] == "deleted" for d in found)

    await eventually(gone, 30)
    status, _ = await hook(edge, hooked["webhookUrl"], b"{}")
    assert status == 404


async def test_a_bad_subscription_is_refused(edge: FlowsEdge) -> None:
    flow = await new_flow(edge, "cron")
    for body in ({"kind": "cron", "config": {"cron": "often"}}, {"kind": "event", "config": {}},
                 {"kind": "poll", "providerType": SIM}, {"kind": "form", "config": {"formId": "form_nope"}},
                 {"kind": "poll", "providerType": SIM, "triggerName": "no_such"}, {"kind": "sometimes"},
                 {"kind": "webhook", "providerType": SIM, "triggerName": "new_deal"},
                 {"kind": "webhook", "config": {"secret": "short"}}, {"kind": "manual", "connectionId": "conn_nope"},
                 {"kind": "poll", "providerType": SIM, "triggerName": "new_deal", "connectionId": edge.connection_id,
                  "config": {"intervalSeconds": 0}}):
        status, answer = await edge.call("POST", f"/connect/v1/flows/{flow}/triggers", body)
        assert status in (404, 422) and answer["success"] is False, (body, answer)
    status, answer = await edge.call("POST", "/connect/v1/flows/wf_missing/triggers", {"kind": "manual"})
    assert status == 404, answer


async def test_a_crm_event_triggers_a_flow_with_its_public_payload(edge: FlowsEdge) -> None:
    flow = await new_flow(edge, "event")
    await subscribe(edge, flow, {"kind": "event", "config": {"eventType": "contact.created"}})
    status, answer = await edge.call("POST", "/v1/contacts", {"name": "Other", "email": "o@b.io"}, key=edge.other_key)
    assert status == 201, answer  # another workspace's contact starts nothing here
    status, answer = await edge.call("POST", "/v1/contacts", {"name": "Jane Doe", "email": "jane@acme.com",
                                                              "company_name": "Acme Corp"})
    assert status == 201, answer
    contact_id = answer["data"]["id"]
    found = await eventually(lambda: executions_of(edge, flow), 60)
    execution = await completed(edge, found[0]["id"])
    payload = execution["trigger"]["data"]
    assert set(payload) == {"id", "type", "timestamp", "workspace_id", "data"}
    assert payload["type"] == "contact.created" and payload["workspace_id"] == edge.workspace_id
    assert payload["data"]["id"] == contact_id and payload["data"]["email"] == "jane@acme.com"
    assert len(await executions_of(edge, flow)) == 1


async def test_a_provider_webhook_delivery_triggers_the_flows_of_its_event(edge: FlowsEdge) -> None:
    secret = "sim-hooks-secret-0123456789"
    status, answer = await edge.call("POST", f"/connect/v1/webhooks/{SIM}/subscribe",
                                     {"url": "https://example.com/sim", "signingSecret": secret})
    assert status == 201, answer
    incoming = answer["data"]["incomingUrl"]
    won, anything = await new_flow(edge, "webhook"), await new_flow(edge, "webhook")
    trigger = await subscribe(edge, won, {"kind": "webhook", "providerType": SIM, "triggerName": "deal_won"})
    assert trigger["providerEvent"] == "deal.won"
    await subscribe(edge, anything, {"kind": "webhook", "providerType": SIM})
    for delivery, kind in (("d-1", "deal.lost"), ("d-2", "deal.won"), ("d-2", "deal.won")):
        body = json.dumps({"kind": kind, "deal": {"id": 7}}).encode()
        headers = {"X-Sim-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
                   "X-Sim-Delivery": delivery, "Content-Type": "application/json"}
        async with edge.http.post(edge.url + incoming[incoming.index("/connect/"):], data=body,
                                  headers=headers) as resp:
            assert resp.status == 202, await resp.text()

    async def fired(flow: str, count: int) -> list[Doc] | None:
        found = await executions_of(edge, flow)
        return found if len(found) == count else None

    [run] = await eventually(lambda: fired(won, 1), 60)
    execution = await completed(edge, run["id"])
    assert execution["trigger"]["type"] == "webhook"
    assert execution["trigger"]["data"] == {"body": {"kind": "deal.won", "deal": {"id": 7}}, "provider": SIM,
                                            "event_type": "deal.won", "delivery_id": "d-2"}
    both = await eventually(lambda: fired(anything, 2), 60)  # every event of the provider, each delivery once
    kinds = sorted([(await completed(edge, e["id"]))["trigger"]["data"]["event_type"] for e in both])
    assert kinds == ["deal.lost", "deal.won"]
    assert len(await executions_of(edge, won)) == 1


async def test_a_form_submission_triggers_its_flows(edge: FlowsEdge) -> None:
    status, answer = await edge.call("POST", "/v1/forms", {"name": "Lead", "fields": [
        {"name": "email", "type": "email", "required": True}]})
    form_id = answer["data"]["id"]
    flow = await new_flow(edge, "form")
    await subscribe(edge, flow, {"kind": "form", "config": {"formId": form_id}})
    status, answer = await edge.call("POST", f"/v1/forms/{form_id}/submissions", {"data": {"email": "b@x.io"}})
    assert status == 201, answer
    found = await eventually(lambda: executions_of(edge, flow), 60)
    execution = await completed(edge, found[0]["id"])
    assert execution["trigger"]["type"] == "form"
    assert execution["trigger"]["data"]["data"] == {"email": "b@x.io"}
    assert execution["trigger"]["data"]["id"] == answer["data"]["id"]


async def skips(edge: FlowsEdge, trigger_id: str) -> list[tuple[str, str]]:
    found = edge.flows.db[tx.SKIPS].find({"trigger_id": trigger_id})
    return sorted([(d["item_id"] or "", d["reason"]) async for d in found])


async def test_a_poll_fires_each_new_item_once_across_republishing(edge: FlowsEdge) -> None:
    edge.sim.deals = [{"id": "d1", "title": "Old"}, {"id": "d2", "title": "Older"}, {"title": "No id"}]
    flow = await new_flow(edge, "poll")
    trigger = await subscribe(edge, flow, {"kind": "poll", "providerType": SIM, "triggerName": "new_deal",
                                           "connectionId": edge.connection_id, "config": {"intervalSeconds": 1}})

    async def baseline() -> bool:  # a round's skips may land one by one: wait for the whole first round
        return {("d1", "baseline"), ("d2", "baseline")} <= set(await skips(edge, trigger["id"]))

    await eventually(baseline, 30)
    edge.sim.deals = [*edge.sim.deals, {"id": "d3", "title": "New"}]
    found = await eventually(lambda: executions_of(edge, flow), 30)
    execution = await completed(edge, found[0]["id"])
    assert execution["trigger"] == {"type": "poll", "data": {"id": "d3", "title": "New"}}

    async def seen_again() -> bool:
        reasons = await skips(edge, trigger["id"])
        return {("d1", "already_seen"), ("d2", "already_seen"), ("d3", "already_seen")} <= set(reasons)

    await eventually(seen_again, 30)  # the same items re-published, round after round
    assert len(await executions_of(edge, flow)) == 1
    edge.sim.deals = [{"id": "d3", "title": "New"}, {"id": "d4", "title": "Newer"}]

    async def two() -> bool:
        return len(await executions_of(edge, flow)) == 2

    await eventually(two, 30)
    newest = next(e for e in await executions_of(edge, flow) if e["id"] != found[0]["id"])
    assert (await completed(edge, newest["id"]))["trigger"]["data"] == {"id": "d4", "title": "Newer"}
    assert ("", "no_id") in await skips(edge, trigger["id"])  # the item without an id is recorded too
    status, answer = await edge.call("GET", f"/connect/v1/flows/{flow}/triggers/{trigger['id']}/skips?limit=500")
    assert status == 200, answer
    shown = {(s["itemId"], s["reason"]) for s in answer["data"]}
    assert {("d1", "baseline"), ("d3", "already_seen"), (None, "no_id")} <= shown
    assert ("d4", "baseline") not in shown and all(s["skippedAt"] for s in answer["data"])


async def test_a_poll_may_fire_the_items_already_there(edge: FlowsEdge) -> None:
    edge.sim.deals = [{"id": "e1"}, {"id": "e2"}]
    flow = await new_flow(edge, "poll")
    await subscribe(edge, flow, {"kind": "poll", "providerType": SIM, "triggerName": "new_deal",
                                 "config": {"intervalSeconds": 1, "fireExisting": True}})

    async def both() -> list[Doc] | None:
        found = await executions_of(edge, flow)
        return found if len(found) == 2 else None

    fired = await eventually(both, 30)
    data = sorted([(await completed(edge, e["id"]))["trigger"]["data"]["id"] for e in fired])
    assert data == ["e1", "e2"]


async def test_cron_fires_once_per_slot_across_replicas(edge: FlowsEdge) -> None:
    replica = await start_flows(edge.stack, internal_port=-1, trigger_tick_s=0.2)
    try:
        flow = await new_flow(edge, "cron")
        # Six fields, seconds first: a slot every 2 s (minute slots would make the test wait up to a minute).
        trigger = await subscribe(edge, flow, {"kind": "cron", "config": {"cron": "*/2 * * * * *"}})
        found = await eventually(lambda: executions_of(edge, flow), 15)
        await asyncio.sleep(4.5)  # two more slots, each seen by both replicas
        status, _ = await edge.call("DELETE", f"/connect/v1/flows/{flow}/triggers/{trigger['id']}")
        assert status == 200
        await asyncio.sleep(1.0)  # a tick already past the check of the deleted subscription settles
        executions = await executions_of(edge, flow)
        claims = [d async for d in edge.flows.db[tx.CLAIMS].find({"trigger_id": trigger["id"]})]
        slots = [(await completed(edge, e["id"]))["trigger"]["data"]["slot"] for e in executions]
        assert len(slots) >= 3 and len(set(slots)) == len(slots), slots  # no slot fired twice
        assert all(datetime.fromisoformat(s).second % 2 == 0 for s in slots)
        assert sorted(c["_id"] for c in claims) == sorted(f"cron:{trigger['id']}:{s}" for s in slots)
        assert found[0]["id"] in {e["id"] for e in executions}
    finally:
        await replica.stop()

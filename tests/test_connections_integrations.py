"""Tenant integrations through the gateway, on the real stack: integrations-api's documented request examples
replayed (create, update) with every other operation at its documented path (list, get, delete, regenerate-key,
workflow-api's test); settings checked against the provider's settings schema (the built-in one derived from the
credential fields, a manifest's own `settings_schema`); refused settings change nothing; the inbound key is shown
once, stored as a hash, and a regenerated key refuses the previous one at once; a workspace sees only its own."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from structlog.testing import capture_logs

from connections.app.operations import Connections
from connections.app.tenant_integrations import TenantIntegrations
from connections_contracts import declarations as decl
from connections_contracts import tenant_integrations as ti
from gateway.catalogue import load_operations
from tests.tenant_stack import TenantEdge, tenant_edge

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

VIEW = {"id", "service", "name", "enabled", "settings", "secretSettings", "synchronizations", "keyPreview",
        "keyRegeneratedAt", "lastTestStatus", "lastTestError", "lastTestedAt", "createdAt", "updatedAt"}
SIM = "acme_settings"
SETTINGS_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["apiKey", "region"],
                   "properties": {"apiKey": {"type": "string", "minLength": 1, "writeOnly": True},
                                  "signingSecret": {"type": "string", "writeOnly": True},
                                  "region": {"type": "string", "enum": ["eu", "us"]}}}


def example(operation_id: str) -> Any:
    return next(op.request_example for op in load_operations() if op.operation_id == operation_id)


@pytest_asyncio.fixture(scope="module")
async def edge() -> AsyncIterator[TenantEdge]:
    async with tenant_edge() as running:
        manifest = {**running.api.manifest(SIM), "settings_schema": SETTINGS_SCHEMA}
        status, body, _ = await running.call("POST", "/connect/v1/custom-providers", manifest)
        assert status == 201, body
        yield running


async def create(edge: TenantEdge, body: dict[str, Any], who: str = "a") -> dict[str, Any]:
    status, answer, _ = await edge.call("POST", "/v1/integrations", body, who=who)
    assert status == 201 and answer["success"] is True, answer
    return dict(answer["data"])


async def stored_events(edge: TenantEdge) -> int:
    return int(await edge.service.db["event_commits"].count_documents({}))


async def test_documented_examples_and_operations(edge: TenantEdge) -> None:
    documented = example("createIntegration")
    made = await create(edge, documented)
    assert set(made) == VIEW | {"apiKey"} and made["service"] == "klaviyo" and made["name"] == "Klaviyo Marketing"
    assert made["settings"] == {} and made["secretSettings"] == ["apiKey"] and made["enabled"] is True
    assert made["synchronizations"] == documented["synchronizations"]
    assert made["apiKey"].startswith("jik_") and made["keyPreview"] == "…" + made["apiKey"][-4:]
    assert documented["settings"]["apiKey"] not in json.dumps(made)
    path = f"/v1/integrations/{made['id']}"
    status, body, _ = await edge.call("GET", path)
    assert status == 200 and set(body["data"]) == VIEW and "apiKey" not in body["data"], body
    status, body, _ = await edge.call("PUT", path, example("updateIntegration"))
    assert status == 200 and body["data"]["enabled"] is False and body["data"]["secretSettings"] == ["apiKey"], body
    for listing in ("/v1/integrations", "/v1/integrations/"):
        status, body, _ = await edge.call("GET", listing + "?page=1&limit=50")
        assert status == 200 and set(body) == {"success", "data", "meta", "request_id", "next_cursor"}, body
        assert made["id"] in [i["id"] for i in body["data"]] and body["meta"]["page"] == 1, body
        assert body["meta"]["limit"] == 50 and body["meta"]["total"] >= 1
    status, body, headers = await edge.call("POST", f"{path}/regenerate-key")
    assert status == 200 and body["data"]["apiKey"] != made["apiKey"], body
    assert "no-store" in headers.get("Cache-Control", ""), headers
    status, body, _ = await edge.call("DELETE", path)
    assert status == 200 and body["data"] == {"id": made["id"], "deleted": True}, body
    status, body, _ = await edge.call("GET", path)
    assert status == 404 and body["error"]["code"] == "NOT_FOUND", body
    doc = await edge.service.db[ti.COLLECTION].find_one({"_id": made["id"]})
    assert doc is not None and doc["settings_sealed"] is None and doc["key_hash"] is None


async def test_a_manifests_settings_schema_is_served_and_enforced(edge: TenantEdge) -> None:
    status, body, _ = await edge.call("GET", "/v1/integrations/available")
    mine = next(i for i in body["data"] if i["service"] == SIM)
    assert mine["settingsSchema"] == SETTINGS_SCHEMA, mine
    made = await create(edge, {"service": SIM, "settings": {"apiKey": edge.api.api_key, "region": "eu"}})
    assert made["settings"] == {"region": "eu"} and made["secretSettings"] == ["apiKey"], made
    assert edge.api.api_key not in json.dumps(made)
    status, body, _ = await edge.call("POST", f"/v1/integrations/{made['id']}/test")
    assert status == 200 and body["data"]["success"] is True and body["data"]["status"] == "CONNECTED", body
    assert edge.api.requests[-1].headers["Authorization"] == f"Bearer {edge.api.api_key}"
    path = f"/v1/integrations/{made['id']}"
    status, body, _ = await edge.call("PUT", path, {"settings": {"apiKey": "wrong-key-0000"}})
    assert status == 200 and body["data"]["settings"] == {"region": "eu"}, body
    status, body, _ = await edge.call("POST", f"{path}/test")
    assert status == 200 and body["data"]["success"] is False and "401" in body["data"]["message"], body
    status, body, _ = await edge.call("GET", path)
    assert body["data"]["lastTestStatus"] == "ERROR" and body["data"]["lastTestedAt"], body


@pytest.mark.parametrize(("settings", "pointer", "rule"), [
    ({"region": "eu"}, "/settings", "required"),
    ({"apiKey": "k-123", "region": "mars"}, "/settings/region", "enum"),
    ({"apiKey": "k-123", "region": "eu", "extra": "x"}, "/settings", "additionalProperties"),
    ({"apiKey": "", "region": "eu"}, "/settings/apiKey", "minLength"),
])
async def test_refused_settings_change_nothing(edge: TenantEdge, settings: dict[str, Any], pointer: str,
                                               rule: str) -> None:
    before = await stored_events(edge)
    status, body, _ = await edge.call("POST", "/v1/integrations", {"service": SIM, "settings": settings})
    assert status == 422 and body["success"] is False and body["error"]["code"] == "VALIDATION_ERROR", body
    problem = body["error"]["details"]["errors"][0]
    assert (problem["pointer"], problem["rule"]) == (pointer, rule), body
    assert "k-123" not in json.dumps(body) and await stored_events(edge) == before


async def test_refused_requests_change_nothing(edge: TenantEdge) -> None:
    made = await create(edge, {"service": SIM, "settings": {"apiKey": "k-1", "region": "us"}})
    before = await stored_events(edge)
    for method, path, body in [
        ("POST", "/v1/integrations", {"service": "no_such_service", "settings": {}}),
        ("POST", "/v1/integrations", {"service": SIM, "settings": {}, "synchronizations": [{"eventType": "Bad"}]}),
        ("POST", "/v1/integrations", {"service": SIM, "unknown": 1}),
        ("PUT", f"/v1/integrations/{made['id']}", {"settings": {"region": "mars"}}),
        ("PUT", f"/v1/integrations/{made['id']}", {"settings": {"apiKey": None}}),
    ]:
        status, answer, _ = await edge.call(method, path, body)
        assert status == 422 and answer["error"]["code"] == "VALIDATION_ERROR", (path, body, answer)
    assert await stored_events(edge) == before
    status, body, _ = await edge.call("GET", f"/v1/integrations/{made['id']}")
    assert body["data"]["settings"] == {"region": "us"} and body["data"]["updatedAt"] == made["updatedAt"], body


async def test_regenerate_key_refuses_the_previous_key_at_once(edge: TenantEdge) -> None:
    syncs = [{"eventType": "order.created", "enabled": True}, {"eventType": "order.updated", "enabled": False}]
    made = await create(edge, {"service": SIM, "settings": {"apiKey": "k-1", "region": "eu"},
                               "synchronizations": syncs})
    old = made["apiKey"]
    doc = await edge.service.db[ti.COLLECTION].find_one({"_id": made["id"]})
    assert doc is not None and doc["key_hash"] == hashlib.sha256(old.encode()).hexdigest()
    assert old not in json.dumps(doc, default=str)
    event = {"eventType": "order.created", "id": "ord-1", "data": {"total": 12}}
    status, body = await edge.anonymous("POST", f"/v1/integrations/inbound/{old}", event)
    assert status == 202 and body["data"]["accepted"] is True, body
    status, again = await edge.anonymous("POST", f"/v1/integrations/inbound/{old}", event)
    assert status == 202 and again["data"]["id"] == body["data"]["id"], again  # one delivery, recorded once
    unsynchronized = {**event, "eventType": "order.updated"}
    status, body = await edge.anonymous("POST", f"/v1/integrations/inbound/{old}", unsynchronized)
    assert status == 422 and body["error"]["details"]["pointer"] == "/eventType", body  # not synchronized
    status, body, _ = await edge.call("POST", f"/v1/integrations/{made['id']}/regenerate-key")
    new = body["data"]["apiKey"]
    status, body = await edge.anonymous("POST", f"/v1/integrations/inbound/{old}", {**event, "id": "ord-2"})
    assert status == 401 and body["error"]["code"] == "UNAUTHORIZED", body
    status, body = await edge.anonymous("POST", f"/v1/integrations/inbound/{new}", {**event, "id": "ord-2"})
    assert status == 202, body
    received = await edge.service.db["event_commits"].count_documents(
        {"events.type": "tenant_integration_inbound.received", "workspace_id": edge.keys["a"]["workspace_id"]})
    assert received == 2


async def test_a_workspace_sees_and_changes_only_its_own(edge: TenantEdge) -> None:
    made = await create(edge, {"service": SIM, "settings": {"apiKey": "k-1", "region": "eu"}})
    path = f"/v1/integrations/{made['id']}"
    for method, target, body in [("GET", path, None), ("PUT", path, {"enabled": False}),
                                 ("DELETE", path, None), ("POST", f"{path}/regenerate-key", None),
                                 ("POST", f"{path}/test", None)]:
        status, answer, _ = await edge.call(method, target, body, who="b")
        assert status == 404 and answer["error"]["code"] == "NOT_FOUND", (method, target, answer)
    status, body, _ = await edge.call("GET", "/v1/integrations", who="b")
    assert status == 200 and made["id"] not in [i["id"] for i in body["data"]], body
    status, body, _ = await edge.call("GET", path)
    assert status == 200 and body["data"]["enabled"] is True, body


async def test_scopes_are_checked(edge: TenantEdge) -> None:
    status, body, _ = await edge.call("GET", "/v1/integrations", key="none")
    assert status == 403 and body["error"]["code"] == "FORBIDDEN", body
    status, body, _ = await edge.call("POST", "/v1/integrations", {"service": SIM, "settings": {}}, key="none")
    assert status == 403, body


async def raw_documents(edge: TenantEdge) -> list[bytes]:
    """Every document of every collection of the connections database, as stored."""
    db = edge.service.db
    found: list[bytes] = []
    for name in await db.list_collection_names():
        coll = db.get_collection(name, codec_options=CodecOptions(document_class=RawBSONDocument))
        found += [doc.raw async for doc in coll.find({})]
    return found


async def kafka_messages(edge: TenantEdge) -> list[bytes]:
    settings = edge.stack.connections
    topics = [settings.topic(t) for t in (decl.TENANT_INTEGRATION_EVENTS, decl.TENANT_INTEGRATION_INBOUND_EVENTS,
                                          decl.COMMANDS)]
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=settings.kafka_bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    seen: list[bytes] = []
    try:
        for _ in range(10):
            batch = await consumer.getmany(timeout_ms=500)
            seen += [(r.key or b"") + (r.value or b"") for records in batch.values() for r in records]
            if seen and not batch:
                break
    finally:
        await consumer.stop()
    return seen


async def test_secret_settings_and_keys_appear_nowhere_but_sealed_or_hashed(edge: TenantEdge) -> None:
    secret = "sk_integ_scan_" + hashlib.sha256(b"scan").hexdigest()[:24]
    edge.api.api_key, before_key = secret, edge.api.api_key
    try:
        with capture_logs() as logs:
            made = await create(edge, {"service": SIM, "settings": {"apiKey": secret, "region": "eu"},
                                       "synchronizations": [{"eventType": "order.created"}]})
            path = f"/v1/integrations/{made['id']}"
            answers = [await edge.call("POST", f"{path}/test"), await edge.call("GET", path),
                       await edge.call("PUT", path, {"settings": {"apiKey": secret}, "name": "Scanned"}),
                       await edge.call("GET", "/v1/integrations")]
            _, body, _ = await edge.call("POST", f"{path}/regenerate-key")
            keys = [made["apiKey"], body["data"]["apiKey"]]
            pushed = await edge.anonymous("POST", f"/v1/integrations/inbound/{keys[1]}",
                                          {"eventType": "order.created", "data": {"n": 1}})
            await asyncio.sleep(1.0)  # the relay and the projections catch up
    finally:
        edge.api.api_key = before_key
    assert answers[0][1]["data"]["success"] is True and pushed[0] == 202, (answers[0], pushed)
    assert secret not in json.dumps(made) and all(secret not in repr(a) for a in answers)
    assert all(k not in repr(a) for k in keys for a in answers)
    assert logs and not [line for line in logs if any(s in repr(line) for s in (secret, *keys))]
    raws = await raw_documents(edge)
    assert not [r for r in raws if any(s.encode() in r for s in (secret, *keys))]
    assert any(hashlib.sha256(keys[1].encode()).hexdigest().encode() in r for r in raws)
    messages = await kafka_messages(edge)
    assert any(b"tenant_integration.created" in m for m in messages)
    assert any(b"tenant_integration_inbound.received" in m for m in messages)
    assert not [m for m in messages if any(s.encode() in m for s in (secret, *keys))]


async def test_a_refused_push_logs_no_key(edge: TenantEdge) -> None:
    made = await create(edge, {"service": SIM, "settings": {"apiKey": "k-1", "region": "eu"}})
    key = made["apiKey"]
    with capture_logs() as logs:
        status, body = await edge.anonymous("POST", f"/v1/integrations/inbound/{key}", {"eventType": "BAD"})
        assert status == 422 and body["error"]["details"][0]["pointer"] == "/eventType", body
        status, body = await edge.anonymous("POST", f"/v1/integrations/inbound/{key}x", {"eventType": "a.b"})
        assert status == 401, body
    assert [line for line in logs if line.get("event") == "http_request"]
    assert not [line for line in logs if key in repr(line)]


async def test_a_secret_setting_removed_is_erased_and_the_others_kept(edge: TenantEdge) -> None:
    made = await create(edge, {"service": SIM, "settings": {"apiKey": edge.api.api_key, "region": "us",
                                                            "signingSecret": "whsec-1"}})
    assert made["secretSettings"] == ["apiKey", "signingSecret"], made
    path = f"/v1/integrations/{made['id']}"
    status, body, _ = await edge.call("PUT", path, {"settings": {"signingSecret": None}})
    assert status == 200 and body["data"]["secretSettings"] == ["apiKey"], body
    doc = await edge.service.db[ti.COLLECTION].find_one({"_id": made["id"]})
    assert doc is not None and TenantIntegrations(Connections(edge.service)).open(dict(doc)) == {
        "apiKey": edge.api.api_key}
    status, body, _ = await edge.call("POST", f"{path}/test")
    assert status == 200 and body["data"]["success"] is True, body

"""connect-api.txt's records through the gateway on the real stack: every ingested item (sync batches, imports) is
a record, listed by resource type, provider, source and search, summarised, replayed (its event again on
`sync.record.events`, its row again in its table) and deleted; one workspace never sees another's."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from conftest import Stack
from junction_common.envelope import EventEnvelope, utcnow
from junction_common.testing.infra import eventually
from sync import topics
from sync.tables.writer import TableWriter, table_target
from sync_contracts import declarations as decl
from tests.sync_edge import SyncEdge, sync_edge

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(scope="module")
async def env() -> AsyncIterator[SyncEdge]:
    async with sync_edge("Records") as edge:
        yield edge


async def published(stack: Stack, enough: Callable[[list[dict[str, Any]]], bool],
                    timeout_s: float = 30) -> list[dict[str, Any]]:
    """Events on sync.record.events, read from the start until `enough` holds of them."""
    consumer = AIOKafkaConsumer(stack.sync.topic(decl.RECORD_EVENTS), bootstrap_servers=stack.sync.kafka_bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    seen: list[dict[str, Any]] = []
    try:
        for _ in range(int(timeout_s * 2)):
            batches = await consumer.getmany(timeout_ms=500)
            seen += [json.loads(m.value) for msgs in batches.values() for m in msgs]
            if enough(seen):
                return seen
    finally:
        await consumer.stop()
    raise AssertionError(f"not published: {[e['type'] for e in seen]}")


async def test_imports_are_records_listed_searched_and_summarised(env: SyncEdge) -> None:
    items = [{"id": "c1", "name": "Ada Lovelace"}, {"id": "c2", "name": "Alan Turing"}, {"name": "no id"}]
    status, body = await env.call("POST", "/records/import", {"resourceType": "contact", "provider": "hubspot",
                                                              "records": items, "primaryKey": ["id"]})
    assert status == 200, body
    assert (body["data"]["imported"], body["data"]["failed"]) == (2, 1)
    assert body["data"]["errors"][0]["index"] == 2
    status, body = await env.call("POST", "/records/import", {"resourceType": "invoice", "records": [
        {"number": 1, "total": 10}, {"number": 2, "total": 12}], "table": "invoices", "primaryKey": ["number"]})
    assert status == 200 and body["data"]["created"] == 2, body
    status, body = await env.call("GET", "/tables/invoices/rows?sort=number")
    assert [r["data"]["total"] for r in body["data"]] == [10, 12]
    status, body = await env.call("GET", "/records?resourceType=contact&provider=hubspot")
    assert status == 200 and sorted(r["data"]["id"] for r in body["data"]) == ["c1", "c2"]
    assert body["meta"]["pagination"]["total"] == 2
    status, body = await env.call("GET", "/records?search=turing")
    assert [r["data"]["name"] for r in body["data"]] == ["Alan Turing"]
    status, body = await env.call("GET", "/records?limit=1&offset=1&source=import")
    assert len(body["data"]) == 1 and body["meta"]["pagination"] == {"limit": 1, "offset": 1, "total": 4,
                                                                      "hasMore": True}
    # connect-api.txt's own query: ?resourceType=<type>&providerType=<provider>&search=<text>&page=<n>
    status, body = await env.call("GET", "/records?resourceType=contact&providerType=hubspot&search=ada&page=1")
    assert status == 200 and [r["data"]["id"] for r in body["data"]] == ["c1"], body
    status, body = await env.call("GET", "/records?source=import&limit=3&page=2")
    assert len(body["data"]) == 1 and body["meta"]["pagination"] == {"limit": 3, "offset": 3, "total": 4,
                                                                      "hasMore": False, "page": 2}
    status, body = await env.call("GET", "/records?providerType=hubspot&provider=stripe")
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR", body
    status, body = await env.call("GET", "/records?page=2&offset=5")
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR", body
    status, body = await env.call("GET", "/records/summary")
    assert status == 200 and body["data"]["total"] == 4
    assert {(g["resource_type"], g["provider"], g["count"]) for g in body["data"]["groups"]} == {
        ("contact", "hubspot", 2), ("invoice", None, 2)}


async def test_sync_batches_are_records_and_a_replay_reemits_and_rewrites_the_row(env: SyncEdge) -> None:
    writer = env.sync.component(TableWriter)
    target = table_target({"id": "conn_r", "name": "CRM", "type": "junction_sim_crm"}, "deals")
    await writer.write_batch(env.workspace_id, target, [{"id": 1, "title": "Big"}, {"id": 2, "title": "Small"}],
                             run_id="run_r", stream="deals", primary_key=["id"])
    status, body = await env.call("GET", "/records?resourceType=deals&source=sync")
    assert status == 200 and len(body["data"]) == 2
    record = next(r for r in body["data"] if r["data"]["id"] == 1)
    assert (record["provider"], record["connection_id"], record["run_id"], record["table"]) == (
        "junction_sim_crm", "conn_r", "run_r", target.slug)
    status, body = await env.call("GET", f"/records/{record['id']}")
    assert status == 200 and body["data"] == record
    status, body = await env.call("GET", f"/tables/{target.slug}/rows/lookup?value=1")
    await env.call("DELETE", f"/tables/{target.slug}/rows/{body['data'][0]['id']}")
    status, body = await env.call("POST", f"/records/{record['id']}/replay")
    assert status == 200 and body["data"]["replayed"] is True and body["data"]["table_row"] is True
    status, body = await env.call("GET", f"/tables/{target.slug}/rows/lookup?value=1")
    assert [r["data"]["title"] for r in body["data"]] == ["Big"]
    events = await published(env.stack, lambda seen: any(e["type"] == "record.replayed" for e in seen))
    replayed = next(e for e in events if e["type"] == "record.replayed")
    assert replayed["workspace_id"] == env.workspace_id and replayed["data"]["record"] == record
    # Ingested once (a consumer may see an event twice: the same event id).
    assert len({e["event_id"] for e in events if e["type"] == "record.ingested"
                and e["data"]["record"]["id"] == record["id"]}) == 1


async def test_a_deleted_record_is_gone_and_its_deletion_published(env: SyncEdge) -> None:
    status, body = await env.call("POST", "/records/import", {"resourceType": "note", "records": [{"t": "x"}]})
    rid = body["data"]["ids"][0]
    status, body = await env.call("DELETE", f"/records/{rid}")
    assert status == 200 and body["data"]["deleted"] is True
    status, body = await env.call("GET", f"/records/{rid}")
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"
    events = await published(env.stack, lambda seen: any(e["type"] == "record.deleted" for e in seen))
    assert next(e for e in events if e["type"] == "record.deleted")["data"]["record"]["id"] == rid


async def test_a_workspace_sees_only_its_own_records(env: SyncEdge) -> None:
    status, body = await env.call("POST", "/records/import", {"resourceType": "secret", "records": [{"v": 1}]})
    rid = body["data"]["ids"][0]
    for method, path in [("GET", f"/records/{rid}"), ("DELETE", f"/records/{rid}"),
                         ("POST", f"/records/{rid}/replay")]:
        status, body = await env.call(method, path, key=env.other)
        assert status == 404, (method, path, body)
    status, body = await env.call("GET", "/records?resourceType=secret", key=env.other)
    assert body["data"] == []
    status, body = await env.call("GET", "/records/summary", key=env.other)
    assert body["data"]["total"] == 0
    status, body = await env.call("GET", f"/records/{rid}")
    assert status == 200


async def test_an_inbound_provider_webhook_is_one_record(env: SyncEdge) -> None:
    """A delivery the connections service accepted (`provider_webhook.received` on its topic), delivered twice."""
    event = EventEnvelope(type="provider_webhook.received", stream_id="pwd_1", version=1,
                          workspace_id=env.workspace_id, occurred_at=utcnow(), command_id="c", correlation_id="c",
                          causation_id="c", data={"subscription_id": "pws_1", "provider": "stripe",
                                                  "event_type": "invoice.paid", "delivery_id": "evt_9",
                                                  "body": {"id": "in_1", "amount": 500}})
    later = event.model_copy(update={"event_id": "evt_later", "data": {**event.data, "delivery_id": "evt_10"}})
    producer = AIOKafkaProducer(bootstrap_servers=env.stack.sync.kafka_bootstrap)
    await producer.start()
    try:
        for sent in (event, event, later):  # one partition: the redelivery is handled before the later one
            await producer.send_and_wait(env.stack.sync.topic(topics.PROVIDER_WEBHOOK_EVENTS), sent.to_bytes(),
                                         key=b"pwd_1")
    finally:
        await producer.stop()

    async def kept() -> list[Any]:
        _, body = await env.call("GET", "/records?source=webhook&provider=stripe")
        return body["data"] if len(body["data"]) == 2 else []

    records = [r for r in await eventually(kept, 30) if r["key"] == "evt_9"]
    assert [(r["resource_type"], r["key"], r["data"]) for r in records] == [
        ("invoice.paid", "evt_9", {"id": "in_1", "amount": 500})]
    events = await published(env.stack, lambda seen: any(
        e["type"] == "record.ingested" and e["data"]["record"]["key"] == "evt_10" for e in seen))
    assert len({e["event_id"] for e in events if e["type"] == "record.ingested"
                and e["data"]["record"]["id"] == records[0]["id"]}) == 1


async def test_a_record_outlives_its_row_and_its_table_and_is_listed_once(env: SyncEdge) -> None:
    """A table row's record lives in the row's document; deleting the row or the table keeps it (listed once,
    found by its id), and the records list pages both places newest first."""
    writer = env.sync.component(TableWriter)
    target = table_target({"id": "conn_o", "name": "Outlive"}, "leads")
    await writer.write_batch(env.workspace_id, target, [{"id": i, "n": f"lead {i}"} for i in range(5)],
                             run_id="run_o", stream="leads", primary_key=["id"])
    await env.call("POST", "/records/import", {"resourceType": "leads", "records": [{"id": 99, "n": "loose"}],
                                               "primaryKey": ["id"]})

    async def listed() -> list[Any]:
        _, body = await env.call("GET", "/records?resourceType=leads&limit=500")
        return body["data"]

    first = await listed()
    assert sorted(r["data"]["id"] for r in first) == [0, 1, 2, 3, 4, 99]
    _, body = await env.call("GET", "/records?resourceType=leads&search=LEAD%203")  # in a row's record, any case
    assert [r["data"] for r in body["data"]] == [{"id": 3, "n": "lead 3"}]
    assert [r["received_at"] for r in first] == sorted((r["received_at"] for r in first), reverse=True)
    _, body = await env.call("GET", "/records?resourceType=leads&limit=2&offset=2")
    assert [r["id"] for r in body["data"]] == [r["id"] for r in first[2:4]]
    assert body["meta"]["pagination"]["total"] == 6
    _, body = await env.call("GET", f"/tables/{target.slug}/rows/lookup?value=1")
    await env.call("DELETE", f"/tables/{target.slug}/rows/{body['data'][0]['id']}")
    assert sorted(r["id"] for r in await listed()) == sorted(r["id"] for r in first)
    status, _ = await env.call("DELETE", f"/tables/{target.slug}")
    assert status == 200
    assert sorted(r["id"] for r in await listed()) == sorted(r["id"] for r in first)
    kept = next(r for r in first if r["data"]["id"] == 3)
    status, body = await env.call("GET", f"/records/{kept['id']}")
    assert status == 200 and body["data"] == kept
    _, body = await env.call("GET", "/records/summary")
    assert next(g for g in body["data"]["groups"] if g["resource_type"] == "leads" and g["source"] == "sync"
                )["count"] == 5


async def test_records_held_while_paused_are_listed_once_and_move_into_their_rows(env: SyncEdge) -> None:
    writer = env.sync.component(TableWriter)
    target = table_target({"id": "conn_h", "name": "Held", "config": {"schemaChangePolicy": "pause"}}, "orders")
    await writer.write_batch(env.workspace_id, target, [{"id": 1, "qty": 1}, {"id": 2, "qty": 2}],
                             run_id="run_h", stream="orders", primary_key=["id"])
    held = await writer.write_batch(env.workspace_id, target, [{"id": 2, "qty": "two"}, {"id": 3, "qty": 3}],
                                    run_id="run_h", stream="orders", primary_key=["id"])
    assert held.paused

    async def orders() -> dict[int, Any]:
        _, body = await env.call("GET", "/records?resourceType=orders")
        assert len(body["data"]) == len({r["id"] for r in body["data"]})  # each record once
        return {r["data"]["id"]: r["data"]["qty"] for r in body["data"]}

    assert await orders() == {1: 1, 2: "two", 3: 3}  # the held items are the latest records

    async def shown_paused() -> bool:  # the tables read model is a projection: it may trail the write a moment
        status, body = await env.call("GET", f"/tables/{target.slug}")
        return status == 200 and body["data"]["paused"] is True

    await eventually(shown_paused, 20)
    status, body = await env.call("POST", f"/tables/{target.slug}/schema/approve")
    assert status == 200, body
    assert await orders() == {1: 1, 2: "two", 3: 3}
    _, body = await env.call("GET", f"/tables/{target.slug}/rows?sort=id")
    assert [r["data"]["qty"] for r in body["data"]] == ["1", "two", "3"]
    assert await env.sync.db["sync_records"].count_documents({"table_id": held.table_id}) == 0

"""Idempotency-Key: in-flight 409, resume after 202 with the same command, expiry."""

from __future__ import annotations

import asyncio

import pytest

from conftest import start_gateway
from crm.main import create_spec
from gateway.idempotency import IdempotencyStore
from junction_common.envelope import utcnow
from junction_common.mongo import create_client
from junction_common.service import ServiceRuntime

pytestmark = pytest.mark.integration


async def test_in_flight_is_409_then_202_resumes_to_the_same_contact(stack_settings, workspace, http):
    _, key = workspace
    settings = stack_settings.gateway.model_copy(update={"command_timeout_s": 1.5})
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "slow-1"}
    body = {"name": "Patient Person"}
    async with start_gateway(settings) as gw:  # no crm service is running: the command waits in Kafka
        url = f"{gw.url}/v1/contacts"
        first = asyncio.create_task(http.post(url, json=body, headers=headers))
        await asyncio.sleep(0.4)
        async with http.post(url, json=body, headers=headers) as resp:
            assert resp.status == 409 and (await resp.json())["error"]["code"] == "IDEMPOTENCY_CONFLICT"
        async with await first as resp:
            accepted = await resp.json()
            assert resp.status == 202
        contact_id = accepted["data"]["resource_id"]
        async with http.get(f"{gw.url}/v1/operations/{accepted['data']['operation_id']}",
                            headers=headers) as resp:
            assert (await resp.json())["data"]["status"] == "pending"
        runtime = ServiceRuntime(create_spec(), stack_settings.crm)
        await runtime.start()
        try:
            async with http.post(url, json=body, headers=headers) as resp:
                done = await resp.json()
                assert resp.status == 201, done
            assert done["data"]["id"] == contact_id  # the same command, not a second contact
            async with http.get(url, headers=headers) as resp:
                assert [c["id"] for c in (await resp.json())["data"]] == [contact_id]
            async with http.get(f"{gw.url}/v1/operations/{accepted['data']['operation_id']}",
                                headers=headers) as resp:
                op = (await resp.json())["data"]
                assert op["status"] == "succeeded" and op["resource_id"] == contact_id
        finally:
            await runtime.stop()


async def test_expired_keys_are_forgotten_and_swept(stack_settings, crm_service, workspace, http):
    _, key = workspace
    settings = stack_settings.gateway.model_copy(update={"idempotency_ttl_s": 1})
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "short-lived"}
    async with start_gateway(settings) as gw:
        url = f"{gw.url}/v1/contacts"
        async with http.post(url, json={"name": "First"}, headers=headers) as resp:
            first = (await resp.json())["data"]["id"]
        await asyncio.sleep(1.3)
        async with http.post(url, json={"name": "Second"}, headers=headers) as resp:
            assert resp.status == 201  # the key expired: a new request, not a conflict
            assert (await resp.json())["data"]["id"] != first
    client = create_client(settings)
    try:
        store = IdempotencyStore(client[settings.db_name("gateway")], 1, 60)
        await asyncio.sleep(2.2)  # nx-27017 compares datetimes to the second
        assert await store.sweep(utcnow()) >= 1
        assert await store.records.count_documents({}) == 0
    finally:
        await client.close()


async def test_concurrent_keys_are_claimed_and_finished_in_shared_batches(stack_settings):
    """20 concurrent keyed writes: every key claimed once, every answer stored, in fewer round trips than keys."""
    from pymongo import AsyncMongoClient

    from tests.bench.counted import CommandCounter

    counter = CommandCounter()
    settings = stack_settings.gateway
    client: AsyncMongoClient = AsyncMongoClient(settings.mongodb_url, event_listeners=[counter], tz_aware=True)
    try:
        store = IdempotencyStore(client[settings.db_name("gateway")], 3600, 60)
        keys = [f"k{i}" for i in range(20)]
        claims = await asyncio.gather(*(store.begin("ws_a", k, "fp", {"command_id": k}, utcnow()) for k in keys))
        assert [c.outcome for c in claims] == ["new"] * 20
        again = await store.begin("ws_a", "k3", "fp", {"command_id": "other"}, utcnow())
        assert again.outcome == "in_flight"
        await asyncio.gather(*(store.finish("ws_a", k, 201, f'{{"k":"{k}"}}'.encode()) for k in keys))
        replay = await store.begin("ws_a", "k7", "fp", {}, utcnow())
        assert replay.outcome == "replay" and replay.response == {"status": 201, "body": '{"k":"k7"}'}
        assert counter.counts["insert idempotency_keys"] <= 3  # one batch of 20 claims, then the lone retry
        assert counter.counts["update idempotency_keys"] <= 2
        assert await store.records.count_documents({"state": "done"}) == 20
    finally:
        await client.close()

"""A 201/202 is a promise kept: a command Kafka did not acknowledge is answered 503 and its key is freed.

The exact sequence that lost writes: a key claimed, the publish failed (or its gateway died before
publishing), the claim went stale, a retry resumed it and skipped the publish, and answered a 202 whose
operation stayed pending forever. A resumed key now always publishes again (same command id).
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from conftest import start_gateway
from gateway.idempotency import IN_FLIGHT, fingerprint
from junction_common.envelope import utcnow
from junction_common.mongo import create_client

pytestmark = pytest.mark.integration


async def _contacts_named(crm_service, name: str) -> list[dict]:
    return await crm_service.db["contacts"].find({"name": name}).to_list()


async def test_unacknowledged_publish_is_503_and_the_retry_creates_exactly_one(
    stack_settings, crm_service, workspace, http
):
    _, key = workspace
    # Kafka cannot acknowledge within a millisecond: the publish is given up on (it may still land later).
    settings = stack_settings.gateway.model_copy(update={"publish_timeout_s": 0.001, "publish_breaker_s": 0.5})
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "unacked-1"}
    body = {"name": "Promise Kept"}
    async with start_gateway(settings) as gw:
        url = f"{gw.url}/v1/contacts"
        started = time.monotonic()
        async with http.post(url, json=body, headers=headers) as resp:
            refused = await resp.json()
            assert resp.status == 503, refused
            assert resp.headers["Retry-After"] == str(settings.unavailable_retry_after_s)
        assert time.monotonic() - started < 5  # bounded, not the producer's 40 s
        assert refused["success"] is False and refused["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert refused["request_id"]
        # While the breaker is open, other writes are refused at once without trying Kafka.
        async with http.post(url, json={"name": "Other"}, headers={"Authorization": f"Bearer {key}"}) as resp:
            assert resp.status == 503
        await asyncio.sleep(0.6)
        gw.settings.publish_timeout_s = 5.0  # Kafka acknowledges again
        async with http.post(url, json=body, headers=headers) as resp:  # not 409: the key was freed
            created = await resp.json()
            assert resp.status == 201, created
        async with http.post(url, json=body, headers=headers) as resp:
            assert resp.status == 201 and resp.headers.get("Idempotent-Replayed") == "true"
    await asyncio.sleep(1.0)  # the first, given-up send may land late: it must change nothing
    found = await _contacts_named(crm_service, "Promise Kept")
    assert [c["_id"] for c in found] == [created["data"]["id"]]
    assert await _contacts_named(crm_service, "Other") == []


async def test_a_stale_claim_that_never_published_is_resumed_and_published(
    stack_settings, crm_service, gateway, workspace, http
):
    workspace_id, key = workspace
    body = {"name": "Stale Claim"}
    ids = {"aggregate_id": "con_01STALECLAIMNEVERPUBLISHED", "command_id": "cmd_01STALECLAIMNEVERPUBLISHED"}
    # A gateway claimed the key two minutes ago and died before publishing anything.
    client = create_client(stack_settings.gateway)
    try:
        claimed = utcnow() - timedelta(minutes=2)
        await client[stack_settings.gateway.db_name("gateway")]["idempotency_keys"].insert_one({
            "_id": f"{workspace_id}:stale-1", "workspace_id": workspace_id,
            "fingerprint": fingerprint("POST", "/v1/contacts", body), "state": IN_FLIGHT, "ids": ids,
            "response": None, "created_at": claimed, "claimed_at": claimed, "expires_at": claimed + timedelta(days=1),
        })
    finally:
        await client.close()
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "stale-1"}
    async with http.post(f"{gateway.url}/v1/contacts", json=body, headers=headers) as resp:
        answer = await resp.json()
        assert resp.status == 201, answer  # before the fix: 202, and the operation stayed pending forever
    assert answer["data"]["id"] == ids["aggregate_id"]
    assert [c["_id"] for c in await _contacts_named(crm_service, "Stale Claim")] == [ids["aggregate_id"]]


async def test_readyz_reports_each_dependency(gateway, http):
    async with http.get(f"{gateway.url}/readyz") as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "ready", "checks": {"database": "ok", "kafka": "ok"}}

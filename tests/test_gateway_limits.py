"""Plan rate limits: counted in memory by each gateway replica and reconciled through the database every
`rate_limit_sync_s`, with headers on every response. One replica is exact; several overshoot the limit by at
most what the others admit between syncs (docs/operations.md, "Rate limits")."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from conftest import create_workspace, start_gateway
from gateway.ratelimit import RateLimiter
from junction_common.mongo import create_client
from junction_common.settings import JunctionSettings
from junction_common.testing.infra import drop_databases, isolated

pytestmark = pytest.mark.integration


async def _inside_one_minute(needed_s: float) -> None:
    """Keep the run inside one minute window."""
    if time.time() % 60 > 60 - needed_s:
        await asyncio.sleep(61 - time.time() % 60)


def _most_in_any_span(times: list[float], span_s: float) -> int:
    return max((sum(1 for t in times if start <= t <= start + span_s) for start in times), default=0)


async def test_one_gateway_counts_down_exactly(gateway, crm_service, http):
    _, key = await create_workspace(gateway.settings, "Limited", "free")
    headers = {"Authorization": f"Bearer {key}"}
    await _inside_one_minute(20)
    statuses, last = [], None
    for i in range(66):
        async with http.get(f"{gateway.url}/v1/contacts", headers=headers) as resp:
            statuses.append(resp.status)
            assert resp.headers["X-RateLimit-Limit"] == "60"
            assert int(resp.headers["X-RateLimit-Reset"]) > time.time()
            last = (resp.status, dict(resp.headers), await resp.json())
            if i < 60:
                assert resp.headers["X-RateLimit-Remaining"] == str(59 - i)
    assert statuses == [200] * 60 + [429] * 6
    _, hdrs, body = last
    assert body["error"]["code"] == "RATE_LIMITED" and body["success"] is False
    assert 1 <= int(hdrs["Retry-After"]) <= 60 and hdrs["X-RateLimit-Remaining"] == "0"


async def test_two_gateways_share_the_limit_within_the_documented_overshoot(gateway, crm_service, http):
    _, key = await create_workspace(gateway.settings, "Limited", "free")
    headers = {"Authorization": f"Bearer {key}"}
    sync_s = gateway.settings.rate_limit_sync_s
    async with start_gateway(gateway.settings) as second:
        urls = (gateway.url, second.url)
        await _inside_one_minute(30)
        for i in range(20):  # replica A alone: exact
            async with http.get(f"{urls[0]}/v1/contacts", headers=headers) as resp:
                assert resp.status == 200 and resp.headers["X-RateLimit-Remaining"] == str(59 - i)
        await asyncio.sleep(2.5 * sync_s)  # both have synced: B sees A's 20
        async with http.get(f"{urls[1]}/v1/contacts", headers=headers) as resp:
            assert resp.status == 200 and resp.headers["X-RateLimit-Remaining"] == "39"
        admitted: tuple[list[float], list[float]] = ([], [time.monotonic()])
        refused = 0
        for i in range(200):  # alternating until both refuse
            async with http.get(f"{urls[i % 2]}/v1/contacts", headers=headers) as resp:
                assert resp.headers["X-RateLimit-Limit"] == "60"
                if resp.status == 200:
                    admitted[i % 2].append(time.monotonic())
                    refused = 0
                else:
                    assert resp.status == 429 and resp.headers["X-RateLimit-Remaining"] == "0"
                    refused += 1
                    if refused == 4:
                        break
        total = 20 + len(admitted[0]) + len(admitted[1])
        # Never under the limit; over it by at most what the other replica admitted in one sync interval
        # (two when their syncs do not line up; plus slack for the requests' own latency).
        overshoot = max(_most_in_any_span(times, 2 * sync_s + 0.5) for times in admitted)
        assert 60 <= total <= 60 + overshoot, (total, overshoot)
        await asyncio.sleep(2.5 * sync_s)  # both have synced again: each sees the other's usage
        for url in urls:
            async with http.get(f"{url}/v1/contacts", headers=headers) as resp:
                body = await resp.json()
                assert resp.status == 429 and resp.headers["X-RateLimit-Remaining"] == "0"
                assert body["error"]["code"] == "RATE_LIMITED" and body["success"] is False
                assert 1 <= int(resp.headers["Retry-After"]) <= 60


@pytest_asyncio.fixture
async def limiters() -> AsyncIterator[tuple[RateLimiter, RateLimiter]]:
    settings = isolated(JunctionSettings)
    client = create_client(settings)
    try:
        db = client[settings.db_name("gateway")]
        yield RateLimiter(db), RateLimiter(db)
    finally:
        await client.close()
        await drop_databases(settings)


async def test_replicas_overshoot_by_at_most_what_the_other_admitted_between_syncs(limiters):
    a, b = limiters
    now = (int(time.time() // 60) * 60) + 30.0
    for i in range(10):
        assert (await a.check("wrk_x", "free", now)).remaining == 59 - i
    assert await a.counters.count_documents({}) == 0  # nothing written per request
    await a.sync()
    assert (await b.check("wrk_x", "free", now)).remaining == 49  # a new replica reads the shared count
    bursts = []
    for limiter in (a, b):  # no sync in between: neither sees the other's burst
        admitted = 0
        while (await limiter.check("wrk_x", "free", now)).allowed:
            admitted += 1
        bursts.append(admitted)
    total = 10 + 1 + sum(bursts)
    assert bursts == [50, 49] and total - 60 <= max(bursts)
    await b.sync()
    await a.sync()
    for limiter in (a, b):
        verdict = await limiter.check("wrk_x", "free", now)
        assert not verdict.allowed and verdict.remaining == 0
    assert (await a.usage("wrk_x", now))["requests_this_minute"] == total
    assert (await a.counters.find_one({"_id": f"wrk_x:m:{int(now // 60)}"}) or {})["n"] == total

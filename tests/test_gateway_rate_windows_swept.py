"""The rate limiter's windows carry their expiry on every server once synced, so the sweeper removes the ended
ones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.ratelimit import RateLimiter
from junction_common.mongo import create_client
from junction_common.settings import JunctionSettings
from junction_common.testing.infra import drop_databases, isolated

pytestmark = pytest.mark.integration


async def test_ended_windows_are_swept_and_current_ones_kept():
    settings = isolated(JunctionSettings)
    client = create_client(settings)
    try:
        limiter = RateLimiter(client[settings.db_name("gateway")])
        await limiter.ensure_indexes()
        then = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC).timestamp()
        await limiter.check("wrk_old", "free", now=then)
        await limiter.check("wrk_old", "free", now=then)
        now = datetime.now(UTC)
        await limiter.check("wrk_new", "free", now=now.timestamp())
        assert await limiter.counters.count_documents({}) == 0  # counted in memory until the sync
        await limiter.sync()
        stored = await limiter.counters.find({}).to_list()
        assert all(isinstance(doc.get("expires_epoch"), float) for doc in stored) and len(stored) == 4
        assert await limiter.sweep(now) == 2  # wrk_old's minute and day windows
        assert {doc["_id"].split(":")[0] for doc in await limiter.counters.find({}).to_list()} == {"wrk_new"}
        assert (await limiter.usage("wrk_new", now.timestamp()))["requests_this_minute"] == 1
    finally:
        await client.close()
        await drop_databases(settings)

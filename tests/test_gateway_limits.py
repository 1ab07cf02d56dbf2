"""Plan rate limits are shared by gateway replicas through the database, with headers on every response."""

from __future__ import annotations

import asyncio
import time

import pytest

from conftest import create_workspace, start_gateway

pytestmark = pytest.mark.integration


async def test_free_plan_limit_is_shared_across_two_gateways(gateway, crm_service, http):
    _, key = await create_workspace(gateway.settings, "Limited", "free")
    headers = {"Authorization": f"Bearer {key}"}
    async with start_gateway(gateway.settings) as second:
        other = second.url
        if time.time() % 60 > 40:  # keep the run inside one minute window
            await asyncio.sleep(61 - time.time() % 60)
        statuses, last = [], None
        for i in range(66):
            base = gateway.url if i % 2 == 0 else other
            async with http.get(f"{base}/v1/contacts", headers=headers) as resp:
                statuses.append(resp.status)
                assert resp.headers["X-RateLimit-Limit"] == "60"
                assert int(resp.headers["X-RateLimit-Reset"]) > time.time()
                last = (resp.status, dict(resp.headers), await resp.json())
                if i < 60:
                    assert resp.headers["X-RateLimit-Remaining"] == str(59 - i)
    assert statuses == [200] * 60 + [429] * 6  # both replicas count into one shared window
    _, hdrs, body = last
    assert body["error"]["code"] == "RATE_LIMITED" and body["success"] is False
    assert 1 <= int(hdrs["Retry-After"]) <= 60 and hdrs["X-RateLimit-Remaining"] == "0"

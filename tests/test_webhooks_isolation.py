"""One slow receiver cannot starve the others; an endpoint failing for too long is disabled."""

from __future__ import annotations

import time
from typing import Any

import pytest

from conftest import start_webhooks
from junction_common.testing.infra import eventually
from tests.api import call
from tests.receivers import receiver

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


async def _true(value: Any) -> Any:
    return value


async def test_a_slow_receiver_does_not_delay_a_fast_one(stack_settings, crm_service, gateway, workspace,
                                                         http) -> None:
    runtime = await start_webhooks(stack_settings, webhook_endpoint_concurrency=2)
    _, key = workspace
    gw = gateway.url
    try:
        async with receiver() as slow, receiver("/fast") as fast:
            slow.delay_s = 1.0
            for rx in (slow, fast):
                status, body = await call(http, "POST", f"{gw}/v1/webhooks", key,
                                          {"url": rx.url, "event_types": ["contact.created"]})
                assert status == 201, body
            # The slow endpoint also has a rate limit of its own.
            status, body = await call(http, "GET", f"{gw}/v1/webhooks?query=hook", key)
            slow_id = next(e["id"] for e in body["data"] if e["url"] == slow.url)
            await call(http, "PATCH", f"{gw}/v1/webhooks/{slow_id}", key, {"rate_limit_per_s": 5})
            started = time.time()
            for n in range(12):
                status, _ = await call(http, "POST", f"{gw}/v1/contacts", key,
                                       {"name": f"Person {n}", "email": f"p{n}@example.com"})
                assert status == 201
            await eventually(lambda: _true(len(fast.received) == 12), timeout=30)
            fast_done = time.time() - started
            # Two at a time, a second each: the slow receiver needs about 6 s for its 12; the fast one is done
            # while the slow one is still far from finished.
            assert len(slow.received) <= 8, (len(slow.received), fast_done)
            await eventually(lambda: _true(len(slow.received) == 12), timeout=40)
            arrivals = sorted(r.at for r in slow.received)
            in_flight = max(sum(1 for a in arrivals if t - 1.0 < a <= t) for t in arrivals)
            assert in_flight <= 2  # the endpoint's concurrency limit
    finally:
        await runtime.stop()


async def test_an_endpoint_failing_longer_than_allowed_is_disabled(stack_settings, crm_service, gateway, workspace,
                                                                   http) -> None:
    runtime = await start_webhooks(stack_settings, webhook_disable_after_s=1.5,
                                   webhook_retry_schedule="0,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5")
    _, key = workspace
    gw = gateway.url
    try:
        async with receiver() as rx:
            rx.status = 500
            status, body = await call(http, "POST", f"{gw}/v1/webhooks", key,
                                      {"url": rx.url, "event_types": ["contact.created"]})
            endpoint = body["data"]
            await call(http, "POST", f"{gw}/v1/contacts", key, {"name": "Failing", "email": "f@example.com"})

            async def disabled() -> dict[str, Any] | None:
                _, body = await call(http, "GET", f"{gw}/v1/webhooks/{endpoint['id']}", key)
                return body["data"] if body["data"]["status"] == "disabled" else None

            data = await eventually(disabled, timeout=30)
            assert "failing continuously" in data["disabled_reason"]
            attempts = len(rx.received)
            assert 3 <= attempts <= 6  # about 1.5 s of failures at 0.5 s intervals, then nothing more
            # Re-enabled, the streak starts again: one more failure does not disable it at once.
            rx.status, rx.script = 200, [(500, {})]
            status, body = await call(http, "PATCH", f"{gw}/v1/webhooks/{endpoint['id']}", key, {"status": "active"})
            assert status == 200 and body["data"]["disabled_reason"] is None
            await eventually(lambda: _delivered(http, gw, key, endpoint["id"]))
            _, body = await call(http, "GET", f"{gw}/v1/webhooks/{endpoint['id']}", key)
            assert body["data"]["status"] == "active"
    finally:
        await runtime.stop()


async def _delivered(http: Any, gw: str, key: str, endpoint_id: str) -> bool:
    _, body = await call(http, "GET", f"{gw}/v1/webhooks/{endpoint_id}/deliveries?status=succeeded", key)
    return len(body["data"]) == 1

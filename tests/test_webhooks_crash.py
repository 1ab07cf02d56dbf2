"""SIGKILL the webhooks service during a burst of 2,000 events: every event delivered, none lost.

The events are published straight to the CRM contact topic (as the CRM's relay would), so the burst is
as fast as Kafka, not as fast as creating contacts. The receiver answers 200 after a short pause.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from junction_common.envelope import EventEnvelope, utcnow
from junction_common.ids import new_ulid
from junction_common.mongo import create_client
from junction_common.testing.infra import env_of, eventually
from tests.api import call
from tests.receivers import receiver

pytestmark = [pytest.mark.integration, pytest.mark.timeout(400)]

TOTAL = int(os.environ.get("WEBHOOK_CRASH_TOTAL", "2000"))  # `make chaos` runs it with more
KILL_AFTER = TOTAL * 3 // 10
LEASE_S = 4.0


def open_log(path: str) -> Any:
    return open(path, "ab")  # the child process writes to it for its whole life


async def start_webhooks(settings: Any, log_path: str) -> asyncio.subprocess.Process:
    env = {**os.environ, **env_of(settings), "JUNCTION_WEBHOOK_RETRY_SCHEDULE": "0,0.5,1,2,4,8",
           "JUNCTION_WEBHOOK_LEASE_S": str(LEASE_S), "JUNCTION_WEBHOOK_TIMEOUT_S": "1.5",
           "JUNCTION_WEBHOOK_SWEEP_INTERVAL_S": "0.2", "JUNCTION_LOG_LEVEL": "WARNING"}
    log = open_log(log_path)
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "webhooks.main", env=env, stdout=log,
                                                stderr=log, start_new_session=True)


def contact_event(workspace_id: str, n: int) -> EventEnvelope:
    stream = f"con_{new_ulid()}"
    return EventEnvelope(type="contact.created", stream_id=stream, version=1, workspace_id=workspace_id,
                         occurred_at=utcnow(), command_id=f"cmd_{stream}", correlation_id=f"burst-{n}",
                         causation_id=f"cmd_{stream}", data={"name": f"Burst {n}", "email": f"b{n}@example.com"})


async def _until_serving(http: Any, url: str) -> None:
    """The webhooks process is up once its internal API answers (it seals the endpoint's secret)."""
    async def serving() -> bool:
        try:
            async with http.get(url) as resp:
                return resp.status == 200
        except OSError:
            return False

    await eventually(serving, timeout=60, interval=0.1)


async def test_sigkill_during_a_burst_of_2000_events(stack_settings, gateway, workspace, http, tmp_path) -> None:
    workspace_id, key = workspace
    settings = stack_settings.webhooks
    log_path = str(tmp_path / "webhooks.log")
    proc = await start_webhooks(settings, log_path)
    await _until_serving(http, f"http://127.0.0.1:{settings.internal_port}/healthz")
    async with receiver() as rx:
        rx.delay_s = 0.003
        status, body = await call(http, "POST", f"{gateway.url}/v1/webhooks", key,
                                  {"url": rx.url, "event_types": ["contact.created"]})
        assert status == 201, body
        events = [contact_event(workspace_id, n) for n in range(TOTAL)]
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all",
                                    enable_idempotence=True)
        await producer.start()
        try:
            for event in events:
                await producer.send(settings.topic("crm.contact.events"), event.to_bytes(),
                                    key=event.stream_id.encode())
            await producer.flush()
        finally:
            await producer.stop()
        try:
            await eventually(lambda: _true(len(rx.received) >= KILL_AFTER), timeout=120, interval=0.01)
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
            killed_at = time.time()
            await asyncio.sleep(0.5)
            proc = await start_webhooks(settings, log_path)
            wanted = {e.event_id for e in events}
            await eventually(lambda: _true({r.json["id"] for r in rx.received} >= wanted), timeout=240)
            client = create_client(settings)
            try:
                deliveries = client[settings.db_name("webhooks")]["deliveries"]

                async def settled() -> bool:
                    return await deliveries.count_documents({"status": "succeeded"}) == TOTAL

                await eventually(settled, timeout=60)
                assert await deliveries.count_documents({}) == TOTAL
            finally:
                await client.close()
        finally:
            if proc.returncode is None:
                os.killpg(proc.pid, signal.SIGTERM)
                await proc.wait()
        seen: dict[str, list[float]] = {}
        for r in rx.received:
            seen.setdefault(r.headers["webhook-id"], []).append(r.at)
        assert len(seen) == TOTAL  # one webhook-id per event: a resend is recognisable as one
        doubled = {k: v for k, v in seen.items() if len(v) > 1}
        # A delivery is sent twice only if the receiver's 2xx was not yet recorded when the process died:
        # every such delivery was first received before the kill, and there are at most a lane's worth.
        assert all(min(times) <= killed_at for times in doubled.values()), doubled
        assert len(doubled) <= 32, len(doubled)
        print(f"webhook SIGKILL: {TOTAL} events, {len(doubled)} resent after the kill (same webhook-id)")


async def _true(value: Any) -> Any:
    return value

"""`make bench`: signed webhook deliveries per second to a local receiver, every attempt logged, and the
time from an event to its first delivery attempt.

Runs the webhooks service and the gateway as real processes on the real infrastructure (isolated topics and
databases, removed afterwards). Events are published straight to the CRM contact topic, as the CRM relay
would. Two phases: a burst of BENCH_WEBHOOKS events (throughput, until every attempt is in the delivery
log), then a paced stream of BENCH_PACED events at BENCH_RATE/s (event-to-first-attempt latency).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from typing import Any

import aiohttp
from aiohttp import web
from aiokafka import AIOKafkaProducer

from junction_common.envelope import EventEnvelope, utcnow
from junction_common.identity import IdentityStore
from junction_common.ids import new_ulid
from junction_common.mongo import create_client
from junction_common.settings import JunctionSettings
from junction_common.testing.infra import eventually, free_port, isolated
from tests.bench.contacts_bench import _workspace_key
from tests.bench.processes import BenchProcesses, bench_processes, service_env, until

BURST = int(os.environ.get("BENCH_WEBHOOKS", "5000"))
PACED = int(os.environ.get("BENCH_PACED", "600"))
RATE = float(os.environ.get("BENCH_RATE", "100"))


def _event(workspace_id: str, n: int) -> EventEnvelope:
    stream = f"con_{new_ulid()}"
    return EventEnvelope(type="contact.created", stream_id=stream, version=1, workspace_id=workspace_id,
                         occurred_at=utcnow(), command_id=f"cmd_{stream}", correlation_id=f"bench-{n}",
                         causation_id=f"cmd_{stream}", data={"name": f"Bench {n}", "email": f"b{n}@example.com"})


async def _receiver(arrivals: dict[str, float], lags: list[float]) -> tuple[web.AppRunner, str]:
    async def handle(request: web.Request) -> web.Response:
        body = await request.json()
        now = time.time()
        if body["id"] not in arrivals:
            arrivals[body["id"]] = now
            lags.append(now - float(body["data"]["sent_at"]) if "sent_at" in body["data"] else -1)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
    return runner, f"http://127.0.0.1:{port}/hook"


async def main() -> None:
    settings = isolated(JunctionSettings)
    async with bench_processes(settings) as procs:
        await _run(settings, procs)


async def _run(settings: JunctionSettings, procs: BenchProcesses) -> None:
    port, webhooks_port = free_port(), free_port()
    env = {**service_env(settings, port, {"webhooks": webhooks_port}), "JUNCTION_WEBHOOK_ENDPOINT_RATE_PER_S": "0",
           "JUNCTION_WEBHOOK_ENDPOINT_CONCURRENCY": "64"}
    await procs.spawn(["-m", "webhooks.main"], {**env, "JUNCTION_INTERNAL_PORT": str(webhooks_port)})
    await procs.spawn(["-m", "gateway.main"], env)
    url = f"http://127.0.0.1:{port}"
    arrivals: dict[str, float] = {}
    lags: list[float] = []
    runner, hook = await _receiver(arrivals, lags)
    client = create_client(settings)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True,
                                linger_ms=2)
    await producer.start()
    topic = settings.topic("crm.contact.events")
    try:
        key = await _workspace_key(settings)
        async with aiohttp.ClientSession() as http:
            await until(http, "the gateway", "GET", f"{url}/readyz", attempts=900)  # a loaded machine starts slowly
            async with http.post(f"{url}/v1/webhooks", json={"url": hook, "event_types": ["contact.created"]},
                                 headers={"Authorization": f"Bearer {key}"}) as resp:
                assert resp.status == 201, await resp.text()
                workspace_id = (await http_workspace(client, settings, key))
        deliveries = client[settings.db_name("webhooks")]["deliveries"]
        events = [_event(workspace_id, n) for n in range(BURST)]
        started = time.perf_counter()
        for event in events:
            await producer.send(topic, event.to_bytes(), key=event.stream_id.encode())
        await producer.flush()
        await eventually(lambda: _now(len(arrivals) >= BURST), timeout=3600, interval=0.01)
        delivered = time.perf_counter() - started

        async def all_logged() -> bool:
            return await deliveries.count_documents({"status": "succeeded"}) >= BURST

        await eventually(all_logged, timeout=3600)
        logged = time.perf_counter() - started
        lags.clear()
        for n in range(PACED):
            event = _event(workspace_id, BURST + n)
            stamped = event.model_copy(update={"data": {**event.data, "sent_at": time.time()}})
            await producer.send(topic, stamped.to_bytes(), key=event.stream_id.encode())
            await asyncio.sleep(1 / RATE)
        await eventually(lambda: _now(len(arrivals) >= BURST + PACED), timeout=3600, interval=0.01)
        q = statistics.quantiles(lags, n=100)
        print(f"machine: {os.cpu_count()} cores; MongoDB-protocol server: see `junction infra status`")
        print(f"burst: {BURST} events -> {BURST / delivered:.0f} signed deliveries/s received, "
              f"{BURST / logged:.0f}/s with every attempt in the delivery log")
        print(f"paced {RATE:.0f} events/s: event-to-first-attempt ms p50 {q[49] * 1000:.1f}  "
              f"p95 {q[94] * 1000:.1f}  p99 {q[98] * 1000:.1f}")
    finally:
        await producer.stop()
        await client.close()
        await runner.cleanup()


async def http_workspace(client: Any, settings: JunctionSettings, key: str) -> str:
    store = IdentityStore(client[settings.db_name("identity")], settings.signing_secret)
    found = await store.authenticate(key, utcnow())
    assert found is not None
    return str(found.workspace_id)


async def _now(value: bool) -> bool:
    return value


if __name__ == "__main__":
    asyncio.run(main())

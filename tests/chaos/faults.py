"""The fault matrix: each fault injected into a running stack during a stream of writes, then judged.

A run starts the crm, webhooks and gateway processes on fresh names, creates a business-plan workspace,
streams writes (tests/chaos/writers.py), SIGKILLs one part `kill_after_s` into the stream and restarts it
`down_s` later, keeps writing one a second until that part has been back for `tail_s`, then checks that
every write that got a 2xx exists exactly once and no write exists twice (tests/chaos/ledger.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from junction_common.infra.private import PrivateInfra
from tests.chaos.hanging_receiver import Hanging, hanging_receiver
from tests.chaos.ledger import listed_contacts, settle
from tests.chaos.results import Deliveries, FaultResult, LogCounts, TryStats
from tests.chaos.stack import ChaosStack, chaos_stack, create_workspace, wait_for
from tests.chaos.writers import Write, WriteStream
from tests.receivers import Receiver, receiver

# Webhook retries soon enough to finish within a run; a killed worker's leases expire in 10 s.
SERVICE_ENV = {"JUNCTION_WEBHOOK_RETRY_SCHEDULE": "0,2,5,10,20,40", "JUNCTION_WEBHOOK_LEASE_S": "10",
               "JUNCTION_WEBHOOK_TIMEOUT_S": "10", "JUNCTION_WEBHOOK_JITTER": "0"}


@dataclass(frozen=True)
class Fault:
    name: str
    target: str  # kafka, mongo, crm, webhooks, or hanging_receiver (nothing is killed)
    down_s: float = 0.0
    writes: int = 240
    rate: float = 8.0
    kill_after_s: float = 10.0
    tail_s: float = 15.0
    services: tuple[str, ...] = ("crm", "webhooks", "gateway")

    @property
    def slug(self) -> str:
        return self.name.lower().replace(" ", "-").replace("/", "-")


MATRIX = (
    Fault("kafka SIGKILL 10s", "kafka", 10.0),
    Fault("kafka SIGKILL 60s", "kafka", 60.0),
    Fault("kafka SIGKILL 180s", "kafka", 180.0),
    Fault("nx-27017 SIGKILL 10s", "mongo", 10.0),
    Fault("nx-27017 SIGKILL 60s", "mongo", 60.0),
    Fault("crm SIGKILL", "crm", 1.0),
    Fault("webhooks SIGKILL", "webhooks", 1.0),
    Fault("webhook receiver hangs", "hanging_receiver"),
)


def _kill_and_restart(stack: ChaosStack, target: str) -> tuple[Callable[[], Any], Callable[[], Any]]:
    if target == "kafka":
        return stack.infra.kill_kafka, stack.infra.start_kafka
    if target == "mongo":
        return stack.infra.kill_mongo, stack.infra.start_mongo
    return stack.services[target].kill, lambda: stack.start_service(target)


async def inject(stack: ChaosStack, fault: Fault, back: asyncio.Event,
                 offsets: dict[str, int]) -> tuple[float, float] | None:
    """Kill the target after `kill_after_s`, restart it `down_s` later; (killed, back) monotonic times.

    `offsets` gets each service log's size at the kill: logs are judged from there on (the fault and the
    recovery, not the start, when fresh topics still elect their leaders).
    """
    await asyncio.sleep(fault.kill_after_s)
    offsets.update({name: proc.log.stat().st_size for name, proc in stack.services.items()})
    if fault.target == "hanging_receiver":
        back.set()
        return None
    kill, restart = _kill_and_restart(stack, fault.target)
    killed_at = time.monotonic()
    await asyncio.to_thread(kill)
    await asyncio.sleep(fault.down_s)
    await asyncio.to_thread(restart)
    restored_at = time.monotonic()
    await asyncio.sleep(fault.tail_s)
    back.set()
    return killed_at, restored_at


def recovery_s(writes: list[Write], restored_at: float) -> float | None:
    """From `restored_at` until the first 2xx to a try sent after it."""
    answers = [a.sent_at + a.elapsed_s for w in writes for a in w.attempts
               if a.sent_at >= restored_at and a.status is not None and 200 <= a.status < 300]
    return round(min(answers) - restored_at, 1) if answers else None


async def run_fault(fault: Fault, home: Path, infra: PrivateInfra | None = None) -> FaultResult:
    """One fault, from a fresh stack on `infra` (or private servers of its own) to its verdict."""
    run_home = home / f"{fault.slug}-{uuid.uuid4().hex[:6]}"
    with chaos_stack(run_home, services=fault.services, env=SERVICE_ENV, infra=infra) as stack:
        assert stack.settings is not None
        _, key = await create_workspace(stack.settings)
        async with _endpoints(stack, key, fault) as (healthy, hanging):
            stream = WriteStream(stack.gateway_url, key, run=uuid.uuid4().hex[:8], count=fault.writes,
                                 rate=fault.rate)
            back = asyncio.Event()
            offsets: dict[str, int] = {}
            times, writes = await asyncio.gather(inject(stack, fault, back, offsets), stream.run_all(back))
            prefix = f"Chaos {stream.run} "
            verdict, settled_s = await settle(writes, stack.gateway_url, key, stack.settings, prefix)
            deliveries = await _deliveries(healthy, stack.gateway_url, key, prefix) if healthy else None
            if deliveries is not None and hanging is not None:
                deliveries.hung = hanging.connections
        logs = LogCounts.scan({name: proc.log for name, proc in stack.services.items()}, offsets)
    outage_s = None if times is None else round(times[1] - times[0], 1)
    recover_s = None if times is None else recovery_s(writes, times[1])
    return FaultResult(fault.name, verdict, TryStats.of(writes), logs, outage_s, recover_s, round(settled_s, 1),
                       deliveries)


@contextlib.asynccontextmanager
async def _endpoints(stack: ChaosStack, key: str,
                     fault: Fault) -> AsyncIterator[tuple[Receiver | None, Hanging | None]]:
    """For the webhook faults: a healthy endpoint (and the hanging one) subscribed to contact.created."""
    if fault.target not in ("webhooks", "hanging_receiver"):
        yield None, None
        return
    async with receiver() as healthy, hanging_receiver() as hanging:
        urls = [healthy.url] + ([hanging.url] if fault.target == "hanging_receiver" else [])
        async with aiohttp.ClientSession() as http:
            for url in urls:
                async with http.post(f"{stack.gateway_url}/v1/webhooks", headers={"Authorization": f"Bearer {key}"},
                                     json={"url": url, "event_types": ["contact.created"]}) as resp:
                    assert resp.status == 201, await resp.text()
        yield healthy, (hanging if fault.target == "hanging_receiver" else None)


async def _deliveries(healthy: Receiver, url: str, key: str, prefix: str, timeout_s: float = 120.0) -> Deliveries:
    """Wait until the healthy endpoint got every created contact (or `timeout_s`); count what came."""
    expected = {str(c["id"]) for c in await listed_contacts(url, key, prefix)}

    def delivered() -> set[str]:
        return {str(r.json["data"]["id"]) for r in healthy.of_type("contact.created")} & expected

    async def all_delivered() -> bool:
        return delivered() == expected

    await wait_for(all_delivered, timeout_s, interval=1.0)
    ids = healthy.ids()
    return Deliveries(len(expected), len(delivered()), len(ids) - len(set(ids)))

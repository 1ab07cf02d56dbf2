"""`python -m tests.bench.relay_bench`: the outbox relay alone, CPU of its process per event published and marked.

Inserts BENCH_RELAY_EVENTS contact commits (one event each) into an isolated event store, then has the relay
publish them in batches of 8 (as the crm's consumer batches hand them over) to a real topic and mark them,
and prints this process's CPU time per event and the wall time. Compare two versions of the relay by running
this with each on PYTHONPATH, alternately, in the same minutes: the figure moves with the machine's load.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime

from junction_common.bus.broker import create_producer
from junction_common.bus.relay import OutboxRelay
from junction_common.envelope import EventEnvelope
from junction_common.mongo import Doc, create_client
from junction_common.settings import JunctionSettings
from junction_common.store.event_store import Commit, EventStore, commit_document
from junction_common.testing.infra import drop_databases, drop_kafka, isolated
from junction_common.topics import TopicSpec, ensure_topics

EVENTS = int(os.environ.get("BENCH_RELAY_EVENTS", "2400"))
BATCH = 8


def batches(now: datetime) -> list[list[Doc]]:
    """Commit documents of one contact creation each, grouped as a consumer batch would hand them over."""
    out: list[list[Doc]] = []
    for b in range(EVENTS // BATCH):
        docs = []
        for i in range(BATCH):
            stream = f"con_{b}_{i}"
            event = EventEnvelope(type="contact.created", stream_id=stream, version=1, workspace_id="wrk_bench",
                                  occurred_at=now, command_id=f"cmd_{stream}", correlation_id="req",
                                  causation_id=f"cmd_{stream}",
                                  data={"name": "Bench contact", "email": "x@example.com", "tags": ["a", "b"]})
            docs.append(commit_document(Commit(stream, 0, f"cmd_{stream}", "wrk_bench", [event]), now))
        out.append(docs)
    return out


async def main() -> None:
    settings = isolated(JunctionSettings)
    await ensure_topics(settings, [TopicSpec("bench.events")])
    client = create_client(settings)
    store = EventStore(client[settings.db_name("relay_bench")])
    await store.ensure_indexes()
    producer = create_producer(settings, "relay-bench")
    await producer.start()
    relay = OutboxRelay(store, producer, lambda _event: settings.topic("bench.events"))
    try:
        work = batches(datetime.now(UTC))
        for docs in work:
            await store.append_many(docs)
        cpu, started = time.process_time(), time.perf_counter()
        for docs in work:
            await relay.publish_events(docs)
            await store.mark_published([doc["_id"] for doc in docs])
        cpu, wall = time.process_time() - cpu, time.perf_counter() - started
        print(f"relay: {EVENTS} events in batches of {BATCH}: {cpu / EVENTS * 1000:.3f} ms CPU per event published "
              f"and marked, {wall:.1f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    finally:
        await producer.stop()
        await client.close()
        await drop_databases(settings)
        await drop_kafka(settings)


if __name__ == "__main__":
    asyncio.run(main())

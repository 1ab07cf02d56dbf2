"""The outbox relay on real Kafka and the MongoDB-protocol server: a batch of commits is published as one,
each stream's events in version order, then marked; a crash between publishing and marking publishes the
commits again and a deduping consumer applies each event once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from junction_common.bus.broker import create_broker, create_producer
from junction_common.bus.consumer import Delivery, subscribe
from junction_common.bus.relay import OutboxRelay
from junction_common.envelope import EventEnvelope
from junction_common.mongo import Doc, create_client
from junction_common.projections.runner import APPLIED, Projection, ProjectionWriter
from junction_common.settings import JunctionSettings
from junction_common.store.event_store import Commit, EventStore, commit_document
from junction_common.testing.infra import drop_databases, drop_kafka, eventually, isolated
from junction_common.topics import TopicSpec, ensure_topics

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TOPIC = "things.events"
STREAMS = ("thg_a", "thg_b", "thg_c", "thg_d")
COMMITS_PER_STREAM, EVENTS_PER_COMMIT = 3, 2
VERSIONS = list(range(1, COMMITS_PER_STREAM * EVENTS_PER_COMMIT + 1))
TOTAL = len(STREAMS) * len(VERSIONS)


def counter_apply(doc: Doc | None, event: EventEnvelope) -> Doc:
    current = dict(doc or {"total": 0})
    current["total"] += event.data["n"]
    return current


PROJECTION = Projection(name="things", service="test", topics=(TOPIC,), collection="things", apply=counter_apply)


@dataclass
class Stack:
    settings: JunctionSettings
    db: AsyncDatabase[Doc]
    store: EventStore
    broker: KafkaBroker  # its consumer reads what the relays publish
    producer: AIOKafkaProducer  # the relays' (as a service's runtime hands its own to its relay)
    seen: list[Delivery] = field(default_factory=list)
    relays: list[OutboxRelay] = field(default_factory=list)

    def relay(self, poll_interval_s: float = 0.5) -> OutboxRelay:
        relay = OutboxRelay(self.store, self.producer, lambda _event: self.settings.topic(TOPIC), poll_interval_s)
        self.relays.append(relay)
        return relay


def commits() -> list[Doc]:
    """Interleaved commits of several streams, in the order an executor's batch inserts them."""
    docs: list[Doc] = []
    for round_ in range(COMMITS_PER_STREAM):
        for stream in STREAMS:
            base = round_ * EVENTS_PER_COMMIT
            events = [
                EventEnvelope(type="thing.counted", stream_id=stream, version=base + i + 1, workspace_id="wrk_1",
                              occurred_at=T0 + timedelta(seconds=base + i), command_id=f"cmd_{stream}_{round_}",
                              correlation_id="r", causation_id=f"cmd_{stream}_{round_}", data={"n": base + i + 1})
                for i in range(EVENTS_PER_COMMIT)
            ]
            commit = Commit(stream, base, f"cmd_{stream}_{round_}", "wrk_1", events)
            docs.append(commit_document(commit, T0))
    return docs


@pytest_asyncio.fixture
async def stack() -> AsyncIterator[Stack]:
    settings = isolated(JunctionSettings)
    await ensure_topics(settings, [TopicSpec(TOPIC, partitions=3)])
    client = create_client(settings)
    db = client[settings.db_name("relay")]
    store = EventStore(db)
    await store.ensure_indexes()
    broker = create_broker(settings, "relay-test")
    producer = create_producer(settings, "relay-test-relay")
    built = Stack(settings, db, store, broker, producer)

    async def collect(delivery: Delivery) -> None:
        built.seen.append(delivery)

    subscribe(broker, settings, TOPIC, "relay-test-readers", collect)
    await broker.start()
    await producer.start()
    try:
        yield built
    finally:
        for relay in built.relays:
            await relay.stop()
        await producer.stop()
        await broker.stop()
        await client.close()
        await drop_databases(settings)
        await drop_kafka(settings)


def versions_by_stream(deliveries: list[Delivery]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for delivery in deliveries:
        event = EventEnvelope.from_bytes(delivery.value)
        assert delivery.key == event.stream_id.encode()
        out.setdefault(event.stream_id, []).append(event.version)
    return out


async def test_a_handed_over_batch_is_published_in_stream_order_then_marked(stack: Stack) -> None:
    relay = stack.relay(poll_interval_s=60.0)  # no idle drain: only the handed-over batch is sent
    relay.start()
    await asyncio.sleep(1.0)  # its drain at start finds an empty store
    docs = commits()
    assert await stack.store.append_many(docs) == set()
    relay.send(docs)

    await eventually(lambda: asyncio.sleep(0, result=len(stack.seen) >= TOTAL), timeout=60)
    assert versions_by_stream(stack.seen) == dict.fromkeys(STREAMS, VERSIONS)

    async def all_marked() -> bool:
        return await stack.store.unpublished() == []

    await eventually(all_marked, timeout=30)
    await asyncio.sleep(1.0)  # a late duplicate would show here
    assert len(stack.seen) == TOTAL
    sent = [EventEnvelope.from_bytes(d.value) for d in stack.seen]
    stored = {e["event_id"]: e for doc in docs for e in doc["events"]}
    assert {e.event_id: e.model_dump(mode="json") for e in sent} == stored


async def test_a_crash_between_publishing_and_marking_publishes_again_and_is_applied_once(stack: Stack) -> None:
    docs = commits()
    await stack.store.append_many(docs)
    # The first relay publishes the batch and dies before its mark: the commits are still unpublished.
    assert await stack.relay().publish_events(docs) == TOTAL
    assert len(await stack.store.unpublished()) == len(docs)

    restarted = stack.relay()  # the service comes back: its relay drains the store at start
    restarted.start()
    await eventually(lambda: asyncio.sleep(0, result=len(stack.seen) >= 2 * TOTAL), timeout=60)

    async def all_marked() -> bool:
        return await stack.store.unpublished() == []

    await eventually(all_marked, timeout=30)
    per_stream = versions_by_stream(stack.seen)
    assert all(sorted(versions) == sorted(2 * VERSIONS) for versions in per_stream.values())

    writer = ProjectionWriter(PROJECTION, stack.db)
    ordered = sorted(stack.seen, key=lambda d: (d.partition, d.offset))
    results = [await writer.handle(EventEnvelope.from_bytes(d.value)) for d in ordered]
    assert results.count(APPLIED) == TOTAL
    things = {doc["_id"]: doc["total"] async for doc in stack.db["things"].find({})}
    assert things == dict.fromkeys(STREAMS, sum(VERSIONS))


async def test_a_commit_a_drain_sent_is_not_sent_again_by_its_hand_over(stack: Stack) -> None:
    """Both orders: a drain reads commits just inserted before their hand-over, and commits still queued."""
    docs = commits()
    await stack.store.append_many(docs[:6])
    relay = stack.relay(poll_interval_s=60.0)
    assert await relay.drain_once() == 6 * EVENTS_PER_COMMIT  # read before their hand-over
    relay.send(docs[:6])
    await stack.store.append_many(docs[6:])
    relay.send(docs[6:])  # queued, then read by a drain
    assert await relay.drain_once() == (len(docs) - 6) * EVENTS_PER_COMMIT
    relay.start()
    await eventually(lambda: asyncio.sleep(0, result=len(stack.seen) >= TOTAL), timeout=60)
    await asyncio.sleep(2.0)  # a second send would show here
    assert len(stack.seen) == TOTAL
    assert versions_by_stream(stack.seen) == dict.fromkeys(STREAMS, VERSIONS)
    assert await stack.store.unpublished() == []


class CountingStore(EventStore):
    """The real event store, counting the relay's drain reads."""

    drains = 0

    async def unpublished(self, limit: int = 500) -> list[Doc]:
        self.drains += 1
        return await super().unpublished(limit)


async def test_a_drain_amid_steady_hand_overs_is_not_followed_by_another(stack: Stack) -> None:
    """Under steady commits a drain always finds some just inserted; it drains again only after a full read,
    a failed mark or a wake, not for those (they are handed over), or it would read every commit back."""
    store = CountingStore(stack.db)
    relay = OutboxRelay(store, stack.producer, lambda _event: stack.settings.topic(TOPIC), poll_interval_s=60.0)
    stack.relays.append(relay)
    relay.start()
    await eventually(lambda: asyncio.sleep(0, result=store.drains == 1), timeout=10)  # its drain at start
    docs = commits()
    for i, doc in enumerate(docs):
        assert await store.append_many([doc]) == set()
        if i == 1:
            relay.wake()  # a drain while commits keep coming
        relay.send([doc])
    await eventually(lambda: asyncio.sleep(0, result=len(stack.seen) >= TOTAL), timeout=60)

    async def all_marked() -> bool:
        return await stack.store.unpublished() == []

    await eventually(all_marked, timeout=30)
    await asyncio.sleep(1.0)  # a late duplicate or another drain would show here
    assert store.drains == 2  # at start, and the one woken
    assert len(stack.seen) == TOTAL
    assert versions_by_stream(stack.seen) == dict.fromkeys(STREAMS, VERSIONS)

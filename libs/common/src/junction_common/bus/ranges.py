"""Reading a range of a topic outside any consumer group, and moving a group's offsets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

Offsets = dict[TopicPartition, int]
RecordHandler = Callable[[ConsumerRecord[bytes, bytes]], Awaitable[None]]


async def _partitions(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    # A consumer without a subscription knows no partitions: ask the cluster for full metadata.
    metadata = await consumer._client.fetch_all_metadata()
    parts: list[TopicPartition] = []
    for topic in topics:
        ids = metadata.partitions_for_topic(topic) or set()
        parts.extend(TopicPartition(topic, p) for p in sorted(ids))
    return parts


async def read_range(
    bootstrap: str, topics: list[str], handle: RecordHandler, start: Offsets | None = None
) -> Offsets:
    """Feed every record from `start` (default: the beginning) up to the current end; returns the end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = await _partitions(consumer, topics)
        consumer.assign(parts)
        end = await consumer.end_offsets(parts)
        for tp in parts:
            consumer.seek(tp, (start or {}).get(tp, 0))
        pending = {tp for tp in parts if await consumer.position(tp) < end[tp]}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000)
            for tp, records in batch.items():
                for record in records:
                    if record.offset < end[tp]:
                        await handle(record)
            pending = {tp for tp in pending if await consumer.position(tp) < end[tp]}
        return dict(end)
    finally:
        await consumer.stop()


async def reset_group(
    bootstrap: str, group: str, topic: str, from_offset: int | None, from_time_ms: int | None,
    partition: int | None = None,
) -> Offsets:
    """Point a stopped group at `from_offset` (or the first offset at `from_time_ms`) on `topic`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_consumer_groups([group])
        state = described[0].groups[0][2] if described and described[0].groups else "Dead"
        if state not in ("Empty", "Dead", ""):
            raise RuntimeError(f"consumer group {group} is {state}: stop its consumers first")
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [tp for tp in await _partitions(consumer, [topic]) if partition in (None, tp.partition)]
        consumer.assign(parts)
        targets = await _targets(consumer, parts, from_offset, from_time_ms)
        await consumer.commit(targets)
        return targets
    finally:
        await consumer.stop()


async def _targets(
    consumer: AIOKafkaConsumer, parts: list[TopicPartition], from_offset: int | None, from_time_ms: int | None
) -> Offsets:
    end = await consumer.end_offsets(parts)
    if from_time_ms is not None:
        found = await consumer.offsets_for_times({tp: from_time_ms for tp in parts})
        return {tp: (found[tp].offset if found.get(tp) else end[tp]) for tp in parts}
    begin = await consumer.beginning_offsets(parts)
    wanted = from_offset or 0
    return {tp: min(max(wanted, begin[tp]), end[tp]) for tp in parts}

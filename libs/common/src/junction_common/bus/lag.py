"""Consumer lag: how far each consumer group is behind the end of the topics it reads."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient


async def consumer_lag(bootstrap: str, prefix: str = "") -> dict[str, dict[str, int]]:
    """`{group: {topic: lag}}` for every group whose id starts with `prefix`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        result: dict[str, dict[str, int]] = {}
        for group, _protocol in await admin.list_consumer_groups():
            if not str(group).startswith(prefix):
                continue
            committed = await admin.list_consumer_group_offsets(group)
            ends = await consumer.end_offsets(list(committed))
            per_topic: dict[str, int] = {}
            for tp, meta in committed.items():
                per_topic[tp.topic] = per_topic.get(tp.topic, 0) + max(ends.get(tp, 0) - meta.offset, 0)
            result[str(group)] = per_topic
        return result
    finally:
        await consumer.stop()
        await admin.close()

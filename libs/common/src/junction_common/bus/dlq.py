"""Dead-letter inspection and redrive: each parked message goes back to its topic once."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from junction_common.bus import headers as h
from junction_common.bus.ranges import read_range
from junction_common.settings import JunctionSettings
from junction_common.topics import dlq_topic

REDRIVE_GROUP = "junction.dlq-redrive"


async def list_dlq(settings: JunctionSettings, topic: str, limit: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    async def keep(record: Any) -> None:
        if len(found) < limit:
            found.append({"partition": record.partition, "offset": record.offset,
                          "key": (record.key or b"").decode(errors="replace"),
                          "headers": h.as_str_map(dict(record.headers or ())),
                          "value": (record.value or b"").decode(errors="replace")[:2000]})

    await read_range(settings.kafka_bootstrap, [settings.topic(dlq_topic(topic))], keep)
    return found


async def redrive(settings: JunctionSettings, topic: str) -> int:
    """Publish every not-yet-redriven DLQ message to its original topic; the group remembers progress."""
    source = settings.topic(dlq_topic(topic))
    consumer = AIOKafkaConsumer(source, bootstrap_servers=settings.kafka_bootstrap, group_id=REDRIVE_GROUP,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    sent = 0
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=2000)
            if not batch:
                return sent
            for records in batch.values():
                for record in records:
                    headers = h.as_str_map(dict(record.headers or ()))
                    target = headers.get(h.ORIGINAL_TOPIC, settings.topic(topic))
                    keep = [(k, v.encode()) for k, v in headers.items()
                            if k not in (h.ERROR, h.NOT_BEFORE, h.ATTEMPT, h.ORIGINAL_TOPIC)]
                    await producer.send_and_wait(target, record.value, key=record.key, headers=keep)
                    sent += 1
            await consumer.commit()
    finally:
        await producer.stop()
        await consumer.stop()

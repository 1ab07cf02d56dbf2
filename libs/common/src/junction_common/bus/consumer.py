"""Consumers that retry with backoff on `<topic>.retry.<n>` topics, then park the message in `<topic>.dlq`.

Messages arrive in batches; a batch is handled concurrently across keys and in order within a key
(so per-aggregate order holds), and its offsets are committed only after every message was handled
or handed on to a retry topic. A crash at any line redelivers the batch; handlers are idempotent.

A subscriber may also give a batch handler: the main topic's batches (not the retry levels') then go to
it whole; it keeps per-key order itself and names the messages that failed, which take the retry path.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from junction_common.bus import headers as h
from junction_common.logconfig import get_logger
from junction_common.settings import JunctionSettings
from junction_common.topics import RETRY_DELAYS_S, dlq_topic, retry_topic

log = get_logger(__name__)

BATCH_SIZE = 200
# How long one poll waits for records when none are there (a poll answers as soon as records arrive). A retry
# level's messages wait their delay (seconds) anyway, so its consumers poll 20x less often while idle: each idle
# poll is Python work (aiokafka), and a service has three retry levels per subscription.
POLL_WAIT_MS, RETRY_POLL_WAIT_MS = 50, 1000


async def _undecoded(_message: Any) -> None:
    """FastStream's decoder for our subscribers: none. A handler reads each record's raw bytes itself (as an
    envelope), so FastStream's own `json.loads` of every body was a second parse (~6% of the flows process)."""
    return None
KEY_CONCURRENCY = 32


@dataclass(frozen=True)
class Delivery:
    """One message as a handler sees it."""

    topic: str
    key: bytes | None
    value: bytes
    headers: dict[str, str]
    attempt: int
    partition: int = 0
    offset: int = 0


Handler = Callable[[Delivery], Awaitable[None]]
# Handles a whole batch; returns the exceptions of the messages that failed, by position in the batch.
BatchHandler = Callable[[list[Delivery]], Awaitable[dict[int, Exception]]]


def subscribe(
    broker: KafkaBroker,
    settings: JunctionSettings,
    topic: str | list[str],
    group_id: str,
    handler: Handler,
    delays: tuple[float, ...] = RETRY_DELAYS_S,
    retry_base: str | None = None,
    batch_handler: BatchHandler | None = None,
) -> None:
    """Subscribe `handler` to `topic` (or several topics sharing `retry_base`) and the retry topics."""
    topics = [topic] if isinstance(topic, str) else topic
    base = settings.topic(retry_base or topics[0])
    group_id = settings.topic(group_id)  # the prefix isolates groups exactly as it isolates topics
    levels = [[settings.topic(t) for t in topics],
              *([retry_topic(base, n)] for n in range(1, len(delays) + 1))]
    for level, names in enumerate(levels):
        consume = _make_consumer(broker, base, level, handler, delays, batch_handler if level == 0 else None)
        # One group per retry level: a slow retry never rebalances or blocks the main consumer.
        broker.subscriber(
            *names,
            group_id=group_id if level == 0 else f"{group_id}.retry.{level}",
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            max_poll_interval_ms=600000,
            batch=True,
            max_records=BATCH_SIZE,
            batch_timeout_ms=POLL_WAIT_MS if level == 0 else RETRY_POLL_WAIT_MS,
            decoder=_undecoded,
        )(consume)


def _delivery(level: int, record: Any) -> Delivery:
    headers = h.as_str_map(dict(record.headers or ()))
    # On a retry topic the message's own topic is the one it was first published to.
    topic = headers.get(h.ORIGINAL_TOPIC, record.topic) if level else record.topic
    return Delivery(topic, record.key, record.value or b"", headers, level + 1, record.partition, record.offset)


def _make_consumer(
    broker: KafkaBroker, base: str, level: int, handler: Handler, delays: tuple[float, ...],
    batch_handler: BatchHandler | None = None,
) -> Callable[[KafkaMessage], Awaitable[None]]:
    async def handle_one(delivery: Delivery) -> None:
        try:
            await handler(delivery)
        except Exception as exc:
            await _route_failure(broker, base, delivery, level, delays, exc)

    async def handle_key(deliveries: list[Delivery], gate: asyncio.Semaphore) -> None:
        async with gate:
            for delivery in deliveries:
                await _wait_until(delivery.headers.get(h.NOT_BEFORE))
                await handle_one(delivery)

    async def consume_whole(deliveries: list[Delivery]) -> None:
        assert batch_handler is not None
        try:
            failures = await batch_handler(deliveries)
        except Exception as exc:  # nothing of the batch is known to be handled: every message retries
            failures = dict.fromkeys(range(len(deliveries)), exc)
        for position in sorted(failures):
            await _route_failure(broker, base, deliveries[position], level, delays, failures[position])

    async def consume(msg: KafkaMessage) -> None:
        if batch_handler is not None:
            await consume_whole([_delivery(level, record) for record in msg.raw_message])
            return
        by_key: dict[bytes | None, list[Delivery]] = {}
        for record in msg.raw_message:
            delivery = _delivery(level, record)
            by_key.setdefault(delivery.key, []).append(delivery)
        gate = asyncio.Semaphore(KEY_CONCURRENCY)
        await asyncio.gather(*(handle_key(items, gate) for items in by_key.values()))

    consume.__name__ = f"consume_{base.replace('.', '_')}_{level}"
    return consume


def key_rounds(deliveries: list[Delivery]) -> list[list[int]]:
    """Positions in rounds: round n holds each key's n-th message, so handling round by round keeps key order."""
    rounds: list[list[int]] = []
    seen: dict[bytes | None, int] = {}
    for position, delivery in enumerate(deliveries):
        n = seen.get(delivery.key, 0)
        seen[delivery.key] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(position)
    return rounds


async def _wait_until(not_before: str | None) -> None:
    if not_before:
        delay = float(not_before) - time.time()
        if delay > 0:
            await asyncio.sleep(delay)


async def _route_failure(
    broker: KafkaBroker, base: str, delivery: Delivery, level: int, delays: tuple[float, ...], exc: Exception
) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    headers = {**delivery.headers, h.ORIGINAL_TOPIC: delivery.topic, h.ERROR: error}
    if level < len(delays):
        target = retry_topic(base, level + 1)
        headers[h.NOT_BEFORE] = str(time.time() + delays[level])
        headers[h.ATTEMPT] = str(level + 1)
        log.warning("message_retry_scheduled", topic=delivery.topic, attempt=level + 1, error=error)
    else:
        target = dlq_topic(base)
        headers.pop(h.NOT_BEFORE, None)
        log.error("message_dead_lettered", topic=delivery.topic, error=error,
                  trace="".join(traceback.format_exception(exc))[-4000:])
    await broker.publish(delivery.value, target, key=delivery.key, headers=headers)

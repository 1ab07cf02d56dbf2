"""A service's projections consumer: each batch folded per projection with one read and one bulk write.

Documents written are announced to the process's waits (the outcome long poll answers "readable" from
them); positions are recorded for operators every `POSITION_EVERY` offsets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from junction_common.bus.consumer import BatchHandler, Delivery
from junction_common.envelope import EventEnvelope
from junction_common.mongo import Doc
from junction_common.projections.runner import ProjectionWriter

POSITION_EVERY = 50

Announce = Callable[[str, list[Doc]], None]  # collection, documents written


def projection_handler(writers: dict[str, list[ProjectionWriter]]) -> Callable[[Delivery], Awaitable[None]]:
    """One event at a time (the retry levels)."""

    async def handle(delivery: Delivery) -> None:
        event = EventEnvelope.from_bytes(delivery.value)
        for writer in writers.get(delivery.topic, ()):
            await writer.handle(event)
        await _record_positions(writers, [delivery])

    return handle


def projection_batch_handler(writers: dict[str, list[ProjectionWriter]], announce: Announce) -> BatchHandler:
    """A consumer batch: per projection writer, one `handle_batch`; failures by position."""

    async def handle(deliveries: list[Delivery]) -> dict[int, Exception]:
        failures: dict[int, Exception] = {}
        work: dict[int, tuple[ProjectionWriter, list[tuple[int, EventEnvelope]]]] = {}
        for position, delivery in enumerate(deliveries):
            try:
                event = EventEnvelope.from_bytes(delivery.value)
            except Exception as exc:
                failures[position] = exc
                continue
            for writer in writers.get(delivery.topic, ()):
                work.setdefault(id(writer), (writer, []))[1].append((position, event))
        results = await asyncio.gather(*(w.handle_batch(items) for w, items in work.values()),
                                       return_exceptions=True)
        for (writer, items), result in zip(work.values(), results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                failures.update(dict.fromkeys((p for p, _ in items), result))
                continue
            written, failed = result
            failures.update(failed)
            announce(writer.docs.name, written)
        await _record_positions(writers, [d for p, d in enumerate(deliveries) if p not in failures])
        return failures

    return handle


async def _record_positions(writers: dict[str, list[ProjectionWriter]], deliveries: list[Delivery]) -> None:
    """Kafka's committed offsets are the resume point; the recorded position is for operators, so it is
    written every POSITION_EVERY offsets rather than once per event."""
    for delivery in deliveries:
        if delivery.attempt == 1 and delivery.offset % POSITION_EVERY == 0:
            for writer in writers.get(delivery.topic, ()):
                await writer.record_position(delivery.topic, delivery.partition, delivery.offset)

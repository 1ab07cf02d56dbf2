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
        work = await _parsed_work(writers, deliveries, failures)
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


Work = dict[int, tuple[ProjectionWriter, list[tuple[int, EventEnvelope]]]]  # per writer: its (position, event)s


async def _parsed_work(writers: dict[str, list[ProjectionWriter]], deliveries: list[Delivery],
                       failures: dict[int, Exception]) -> Work:
    """Per writer, the batch's events it has still to apply (those a written-ahead projection's documents hold are
    left out unparsed); an event that does not parse is a failure at its position."""
    positions: dict[int, tuple[ProjectionWriter, list[int]]] = {}
    for position, delivery in enumerate(deliveries):
        for writer in writers.get(delivery.topic, ()):
            positions.setdefault(id(writer), (writer, []))[1].append(position)
    applied = await asyncio.gather(*(w.applied([(p, deliveries[p].key, deliveries[p].value) for p in ps])
                                     for w, ps in positions.values()), return_exceptions=True)
    events: dict[int, EventEnvelope] = {}
    work: Work = {}
    for (writer, ps), skip in zip(positions.values(), applied, strict=True):
        if isinstance(skip, BaseException):
            if not isinstance(skip, Exception):
                raise skip
            skip = set()  # unknown: every event goes the ordinary way (its failure, if any, recorded there)
        items = work.setdefault(id(writer), (writer, []))[1]
        for position in ps:
            if position in skip or position in failures:
                continue
            if position not in events:
                try:
                    events[position] = EventEnvelope.from_bytes(deliveries[position].value)
                except Exception as exc:
                    failures[position] = exc
                    continue
            items.append((position, events[position]))
    return work


async def _record_positions(writers: dict[str, list[ProjectionWriter]], deliveries: list[Delivery]) -> None:
    """Kafka's committed offsets are the resume point; the recorded position is for operators, so it is
    written every POSITION_EVERY offsets rather than once per event."""
    for delivery in deliveries:
        if delivery.attempt == 1 and delivery.offset % POSITION_EVERY == 0:
            for writer in writers.get(delivery.topic, ()):
                await writer.record_position(delivery.topic, delivery.partition, delivery.offset)

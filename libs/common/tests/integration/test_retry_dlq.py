"""Retrying consumers on real Kafka: a failure is retried with backoff, then parked in the DLQ and redriven."""

from __future__ import annotations

import asyncio

import pytest

from junction_common.bus import headers as h
from junction_common.bus.broker import create_broker
from junction_common.bus.consumer import Delivery, subscribe
from junction_common.bus.dlq import list_dlq, redrive
from junction_common.settings import JunctionSettings
from junction_common.testing.infra import drop_kafka, eventually, isolated
from junction_common.topics import TopicSpec, ensure_topics

pytestmark = pytest.mark.integration

DELAYS = (0.2, 0.2)


async def run_consumer(settings, handler):
    await ensure_topics(settings, [TopicSpec("jobs")])
    broker = create_broker(settings, "test")
    subscribe(broker, settings, "jobs", "workers", handler, delays=DELAYS)
    await broker.start()
    return broker


async def test_transient_failure_is_retried_then_handled():
    settings = isolated(JunctionSettings)
    attempts: list[int] = []

    async def flaky(d: Delivery) -> None:
        attempts.append(d.attempt)
        if len(attempts) == 1:
            raise RuntimeError("first try fails")

    broker = await run_consumer(settings, flaky)
    try:
        await broker.publish(b"job-1", settings.topic("jobs"), key=b"k")
        await eventually(lambda: asyncio.sleep(0, result=len(attempts) >= 2), timeout=30)
        await asyncio.sleep(0.5)
        assert attempts == [1, 2]
    finally:
        await broker.stop()
        await drop_kafka(settings)


async def test_permanent_failure_is_dead_lettered_with_error_then_redriven():
    settings = isolated(JunctionSettings)
    seen: list[bytes] = []
    fail = {"on": True}

    async def broken(d: Delivery) -> None:
        seen.append(d.value)
        if fail["on"]:
            raise ValueError("cannot handle this")

    broker = await run_consumer(settings, broken)
    try:
        await broker.publish(b"poison", settings.topic("jobs"), key=b"k", headers={"x-custom": "kept"})

        async def parked():
            return await list_dlq(settings, "jobs", 10)

        found = await eventually(parked, timeout=30)
        assert len(seen) == 1 + len(DELAYS)
        assert found[0]["value"] == "poison"
        assert "ValueError: cannot handle this" in found[0]["headers"][h.ERROR]
        assert found[0]["headers"]["x-custom"] == "kept"
        fail["on"] = False
        assert await redrive(settings, "jobs") == 1
        await eventually(lambda: asyncio.sleep(0, result=len(seen) == 2 + len(DELAYS)), timeout=30)
        assert await redrive(settings, "jobs") == 0  # each parked message is redriven once
    finally:
        await broker.stop()
        await drop_kafka(settings)


async def test_topics_sharing_a_retry_base_keep_their_own_topic_through_retries():
    settings = isolated(JunctionSettings)
    await ensure_topics(settings, [TopicSpec("a.events", retries=False), TopicSpec("b.events", retries=False),
                                   TopicSpec("shared", main=False)])
    seen: list[tuple[str, int]] = []

    async def broken(d: Delivery) -> None:
        seen.append((d.topic, d.attempt))
        raise RuntimeError("always")

    broker = create_broker(settings, "test")
    subscribe(broker, settings, ["a.events", "b.events"], "folders", broken, delays=DELAYS, retry_base="shared")
    await broker.start()
    try:
        await broker.publish(b"from-b", settings.topic("b.events"), key=b"k")
        parked = await eventually(lambda: list_dlq(settings, "shared", 10), timeout=30)
        b_topic = settings.topic("b.events")
        assert seen == [(b_topic, 1), (b_topic, 2), (b_topic, 3)]
        assert parked[0]["headers"][h.ORIGINAL_TOPIC] == b_topic
    finally:
        await broker.stop()
        await drop_kafka(settings)

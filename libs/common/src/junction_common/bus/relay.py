"""Outbox relay: publishes committed events in stream order, then marks their commits published.

The executor hands each batch of commits it just inserted to `send` (no read-back): they are published in
the order handed over, then marked with one update. Whatever was not handed over or failed to publish (a
crash, a Kafka outage, a commit made elsewhere) is still `published: false` and is drained from the store
at start, on `wake()`, after a failure and every poll interval. A crash between publishing and marking
publishes again: consumers are idempotent by version.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from faststream.kafka import KafkaBroker

from junction_common.bus import headers as h
from junction_common.envelope import EventEnvelope
from junction_common.logconfig import get_logger
from junction_common.store.event_store import Doc, EventStore

log = get_logger(__name__)

TopicFor = Callable[[EventEnvelope], str]


class OutboxRelay:
    """Drains unpublished commits; `wake()` after a commit makes it send without waiting for the poll."""

    def __init__(
        self, store: EventStore, broker: KafkaBroker, topic_for: TopicFor, poll_interval_s: float = 0.5
    ) -> None:
        self._store, self._broker, self._topic_for = store, broker, topic_for
        self._poll = poll_interval_s
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._handed: list[Doc] = []
        self._drain = True  # the store may hold unpublished commits (at start, after a failure)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Commits were made without being handed over: drain the store."""
        self._drain = True
        self._wakeup.set()

    def send(self, docs: list[Doc]) -> None:
        """Publish these just-inserted commit documents (in this order, after any handed over before)."""
        self._handed.extend(docs)
        self._wakeup.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                sent = await self._step()
            except Exception:
                log.exception("outbox_relay_failed")
                self._handed.clear()  # still unpublished in the store: the drain sends them in order
                self._drain, sent = True, 0
                await asyncio.sleep(1.0)
            if sent == 0 and not self._handed:
                try:
                    await asyncio.wait_for(self._wakeup.wait(), timeout=self._poll)
                except TimeoutError:
                    self._drain = True
                self._wakeup.clear()

    async def _step(self) -> int:
        if self._drain:
            self._drain = False
            sent = await self.drain_once()
            self._drain = sent > 0  # more may wait beyond one batch
            return sent
        handed, self._handed = self._handed, []
        return await self._publish_commits(handed)

    async def drain_once(self) -> int:
        """Publish one batch of unpublished commits; returns how many events were sent."""
        return await self._publish_commits(await self._store.unpublished())

    async def _publish_commits(self, commits: list[Doc]) -> int:
        if not commits:
            return 0
        futures: list[Any] = []
        for doc in commits:
            for raw in doc["events"]:
                event = EventEnvelope.model_validate(raw)
                futures.append(await self._publish(event, doc.get("traceparent")))
        await asyncio.gather(*futures)
        await self._store.mark_published([doc["_id"] for doc in commits])
        return len(futures)

    async def _publish(self, event: EventEnvelope, traceparent: str | None) -> Any:
        headers = {
            h.EVENT_TYPE: event.type,
            h.CORRELATION_ID: event.correlation_id,
            h.CAUSATION_ID: event.causation_id,
            h.WORKSPACE_ID: event.workspace_id,
        }
        if traceparent:
            headers["traceparent"] = traceparent
        return await self._broker.publish(
            event.to_bytes(),
            self._topic_for(event),
            key=event.stream_id.encode(),
            headers=headers,
            no_confirm=True,
        )

"""One lane per endpoint: its own queue, worker pool and rate limit, so a slow receiver starves nobody else."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from webhooks.delivery.throttle import TokenBucket

Doc = dict[str, Any]
Work = Callable[[Doc, TokenBucket], Awaitable[None]]


class Lane:
    def __init__(self, work: Work, concurrency: int, rate_per_s: float) -> None:
        self.used = time.monotonic()
        self.busy = 0
        self.queue: asyncio.Queue[Doc] = asyncio.Queue()
        self.bucket = TokenBucket(rate_per_s)
        self.concurrency, self.rate_per_s = concurrency, rate_per_s
        self.workers = [asyncio.create_task(self._run(work)) for _ in range(max(1, concurrency))]

    async def _run(self, work: Work) -> None:
        while True:
            doc = await self.queue.get()
            self.busy += 1
            try:
                await work(doc, self.bucket)
            finally:
                self.busy -= 1
                self.queue.task_done()

    async def stop(self) -> None:
        for task in self.workers:
            task.cancel()
        for task in self.workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task


class Lanes:
    def __init__(self, work: Work) -> None:
        self.work = work
        self.lanes: dict[str, Lane] = {}

    def submit(self, endpoint_id: str, doc: Doc, concurrency: int, rate_per_s: float) -> None:
        lane = self.lanes.get(endpoint_id)
        if lane is None or (lane.concurrency, lane.rate_per_s) != (concurrency, rate_per_s):
            if lane is not None:  # limits changed: the old lane finishes what it holds
                old = lane
                asyncio.get_running_loop().create_task(_retire(old))
            lane = self.lanes[endpoint_id] = Lane(self.work, concurrency, rate_per_s)
        lane.used = time.monotonic()
        lane.queue.put_nowait(doc)

    def prune(self, idle_s: float) -> None:
        """Stop the lanes of endpoints with nothing queued and no work given for `idle_s`."""
        now = time.monotonic()
        for endpoint_id, lane in list(self.lanes.items()):
            if lane.queue.empty() and lane.busy == 0 and now - lane.used > idle_s:
                del self.lanes[endpoint_id]
                asyncio.get_running_loop().create_task(lane.stop())

    def full(self, limit: int) -> list[str]:
        """Endpoints with at least `limit` deliveries waiting in their lane."""
        return [endpoint_id for endpoint_id, lane in self.lanes.items() if lane.queue.qsize() >= limit]

    def queued(self) -> int:
        return sum(lane.queue.qsize() for lane in self.lanes.values())

    async def stop(self) -> None:
        for lane in self.lanes.values():
            await lane.stop()


async def _retire(lane: Lane) -> None:
    await lane.queue.join()
    await lane.stop()

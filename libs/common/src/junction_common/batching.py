"""Group commit: concurrent callers' small database writes go to the server as one batch.

A caller submits one item and awaits its own result. While a batch is being written, the items that arrive
wait and go together in the next one, so under load one round trip carries many callers' writes, and a lone
caller is written at once (no timer, no added latency when idle). The flush function gets the items in arrival
order and returns one result per item, in the same order (an exception raised by it fails every caller of that
batch; a per-item failure is a result the flush returns for that item).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """Batches concurrent `submit` calls into calls of `flush(items) -> results` (at most `max_batch` items)."""

    def __init__(self, flush: Callable[[list[T]], Awaitable[list[R]]], max_batch: int = 500) -> None:
        self._flush, self._max = flush, max_batch
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._running: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self._max], self._pending[self._max:]
            try:
                results = await self._flush([item for item, _ in batch])
                if len(results) != len(batch):
                    raise RuntimeError(f"a flush returned {len(results)} results for {len(batch)} items")
            except Exception as exc:  # every caller of this batch sees the failure; later batches still run
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

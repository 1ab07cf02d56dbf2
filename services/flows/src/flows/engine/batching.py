"""Group commit: many small writes coalesced into one round trip (`insert_many` of commits, `bulk_write` of run
rows); each caller awaits its own write's result. Flushed when `size` writes wait or `wait_s` after the first,
so under load one round trip carries hundreds of writes, and alone a write waits only `wait_s`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Flush = Callable[[list[T]], Awaitable[set[int]]]  # the indexes refused (duplicates)


class GroupWriter(Generic[T]):
    def __init__(self, flush: Flush[T], size: int = 500, wait_s: float = 0.002) -> None:
        self._flush_fn, self.size, self.wait_s = flush, size, wait_s
        self._pending: list[tuple[T, asyncio.Future[bool]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._flushes: set[asyncio.Task[None]] = set()

    async def write(self, item: T) -> bool:
        """True when written; False when refused as a duplicate."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if len(self._pending) >= self.size:
            self._flush_now()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.wait_s, self._flush_now)
        return await future

    def _flush_now(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.create_task(self._flush(batch))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    async def _flush(self, batch: list[tuple[T, asyncio.Future[bool]]]) -> None:
        try:
            refused = await self._flush_fn([item for item, _ in batch])
        except Exception as exc:  # a lost connection fails every caller; each retries its own way
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for index, (_, future) in enumerate(batch):
            if not future.done():
                future.set_result(index not in refused)

    async def drain(self) -> None:
        self._flush_now()
        if self._flushes:
            await asyncio.gather(*self._flushes, return_exceptions=True)


def ignore(_: Any) -> None:
    return None


class GroupReader:
    """Coalesces concurrent reads by `_id` into one `_id $in` query per round trip (each caller gets its own
    document, read after its call began: no staler than a read of its own)."""

    def __init__(self, read: Callable[[list[str]], Awaitable[dict[str, Any]]], wait_s: float = 0.002) -> None:
        self._read, self.wait_s = read, wait_s
        self._pending: dict[str, list[asyncio.Future[Any]]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._reads: set[asyncio.Task[None]] = set()

    async def get(self, key: str) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.setdefault(key, []).append(future)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.wait_s, self._flush_now)
        return await future

    def _flush_now(self) -> None:
        self._timer = None
        batch, self._pending = self._pending, {}
        if batch:
            task = asyncio.create_task(self._flush(batch))
            self._reads.add(task)
            task.add_done_callback(self._reads.discard)

    async def _flush(self, batch: dict[str, list[asyncio.Future[Any]]]) -> None:
        try:
            found = await self._read(list(batch))
        except Exception as exc:
            for futures in batch.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
            return
        for key, futures in batch.items():
            for future in futures:
                if not future.done():
                    future.set_result(found.get(key))

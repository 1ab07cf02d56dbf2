"""Group commit: concurrent callers' small database writes (or reads) go to the server as one batch.

A caller submits one item and awaits its own result. One batch is in flight at a time: the items that arrive
meanwhile go together in the next one, so under load one round trip carries many callers' items. A batch is sent
`wait_s` after its first item arrived (the linger: 0, the default, sends a lone item at once) or as soon as `size`
items wait, whichever is first; a batch holds at most `size` items. The flush function gets the items in arrival
order and returns one result per item, in the same order (an exception raised by it fails every caller of that
batch; a per-item failure is a result the flush returns for that item).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

from pymongo import DeleteOne, InsertOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

T = TypeVar("T")
R = TypeVar("R")
WriteOp = InsertOne[Any] | UpdateOne | ReplaceOne[Any] | DeleteOne
DUPLICATE_KEY = 11000


class GroupCommit(Generic[T, R]):
    """Batches concurrent `submit` calls into calls of `flush(items) -> results` (at most `size` items each)."""

    def __init__(self, flush: Callable[[list[T]], Awaitable[list[R]]], size: int = 500, wait_s: float = 0.0) -> None:
        self._flush, self.size, self.wait_s = flush, size, wait_s
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._first_at = 0.0  # loop time the oldest waiting item arrived
        self._linger: asyncio.Future[None] | None = None  # set to cut the linger short (full batch, drain)
        self._forced = False  # a drain is under way: no linger until the queue is empty
        self._running: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        if not self._pending:
            self._first_at = loop.time()
        self._pending.append((item, future))
        if len(self._pending) >= self.size:
            self._wake()
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._drain())
        return await future

    async def drain(self) -> None:
        """Send what waits now (no linger) and wait until every batch is written."""
        while self._running is not None and not self._running.done():
            self._forced = True
            self._wake()
            with contextlib.suppress(Exception):
                await asyncio.shield(self._running)

    def _wake(self) -> None:
        if self._linger is not None and not self._linger.done():
            self._linger.set_result(None)

    async def _drain(self) -> None:
        while self._pending:
            await self._wait_linger()
            batch, self._pending = self._pending[: self.size], self._pending[self.size:]
            await self._send(batch)
        self._forced = False

    async def _wait_linger(self) -> None:
        loop = asyncio.get_running_loop()
        left = self._first_at + self.wait_s - loop.time()
        if left <= 0 or len(self._pending) >= self.size or self._forced:
            return
        self._linger = loop.create_future()
        timer = loop.call_later(left, self._wake)
        try:
            await self._linger
        finally:
            timer.cancel()
            self._linger = None

    async def _send(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._flush([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"a flush returned {len(results)} results for {len(batch)} items")
        except Exception as exc:  # every caller of this batch sees the failure; later batches still run
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        except asyncio.CancelledError:  # the loop is stopping: nobody waits forever
            for _, future in batch:
                future.cancel()
            raise
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)


async def write_unordered(coll: AsyncCollection[Any], ops: Sequence[WriteOp]) -> list[bool]:
    """One unordered `bulk_write`: True per operation, False for an insert refused because its `_id` existed
    (any other write error fails the whole batch)."""
    try:
        await coll.bulk_write(list(ops), ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        refused = {int(e["index"]) for e in errors}
        return [index not in refused for index in range(len(ops))]
    return [True] * len(ops)

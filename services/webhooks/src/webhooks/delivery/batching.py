"""Coalesces many small writes into one bulk write: callers await their own operation's result.

A write is flushed when `size` operations are waiting or `wait_s` after the first one, whichever is first;
so under load one round trip carries hundreds of writes, and alone a write waits only `wait_s`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo import InsertOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

Op = InsertOne[Any] | UpdateOne | ReplaceOne[Any]
DUPLICATE_KEY = 11000


class BulkWriter:
    def __init__(self, coll: AsyncCollection[Any], size: int = 200, wait_s: float = 0.005) -> None:
        self.coll, self.size, self.wait_s = coll, size, wait_s
        self._pending: list[tuple[Op, asyncio.Future[bool]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._flushes: set[asyncio.Task[None]] = set()

    async def write(self, op: Op) -> bool:
        """True when the operation wrote (False: an insert whose id already existed)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((op, future))
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

    async def _flush(self, batch: list[tuple[Op, asyncio.Future[bool]]]) -> None:
        duplicates: set[int] = set()
        try:
            await self.coll.bulk_write([op for op, _ in batch], ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                return
            duplicates = {int(e["index"]) for e in errors}
        except Exception as exc:  # a lost connection fails every caller; each retries its own way
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for index, (_, future) in enumerate(batch):
            if not future.done():
                future.set_result(index not in duplicates)

    async def drain(self) -> None:
        self._flush_now()
        if self._flushes:
            await asyncio.gather(*self._flushes, return_exceptions=True)

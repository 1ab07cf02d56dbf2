"""One poller per process for every caller waiting on a command's outcome and its resource's readability.

Instead of each request polling the database on its own (about 8 `find_one` per write), waiting
requests register a future; one loop asks each service database for every pending command id with
a single `_id $in` query (and each collection for every pending resource), then resolves the futures.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from typing import Any

from pymongo import AsyncMongoClient

from junction_common.logconfig import get_logger

Doc = dict[str, Any]
log = get_logger("junction.outcome_waits")

_BATCH = 500


class OutcomePoller:
    """Resolves `outcome` and `readable` waits from shared `_id $in` queries every `interval_s`."""

    def __init__(self, client: AsyncMongoClient[Doc], interval_s: float = 0.005) -> None:
        self.client, self.interval_s = client, interval_s
        self._outcomes: dict[str, dict[str, list[asyncio.Future[Doc]]]] = defaultdict(dict)
        self._readers: dict[tuple[str, str], dict[str, list[tuple[int, asyncio.Future[Doc]]]]] = defaultdict(dict)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def outcome(self, db_name: str, command_id: str, timeout: float) -> Doc | None:
        """The command's outcome document, or None when none is written within `timeout`."""
        future: asyncio.Future[Doc] = asyncio.get_running_loop().create_future()
        self._outcomes[db_name].setdefault(command_id, []).append(future)
        return await self._wait(future, timeout)

    async def readable(self, db_name: str, collection: str, doc_id: str, version: int, timeout: float) -> Doc | None:
        """The document once at `version` or later, or None when it is not within `timeout`."""
        future: asyncio.Future[Doc] = asyncio.get_running_loop().create_future()
        self._readers[(db_name, collection)].setdefault(doc_id, []).append((version, future))
        return await self._wait(future, timeout)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _wait(self, future: asyncio.Future[Doc], timeout: float) -> Doc | None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        self._wake.set()
        try:
            return await asyncio.wait_for(future, max(timeout, 0.0))
        except TimeoutError:
            return None

    async def _run(self) -> None:
        while True:
            if not self._pending():
                self._wake.clear()
                await self._wake.wait()
            try:
                await self._poll_once()
            except Exception as exc:  # a database outage: waiters time out; keep polling
                log.warning("outcome_poll_failed", error=type(exc).__name__)
                await asyncio.sleep(0.5)
            await asyncio.sleep(self.interval_s)

    def _pending(self) -> bool:
        return any(self._outcomes.values()) or any(self._readers.values())

    async def _poll_once(self) -> None:
        for db_name, waiting in list(self._outcomes.items()):
            _prune(waiting)
            for doc in await self._find(self.client[db_name]["command_outcomes"], list(waiting)):
                for future in waiting.pop(doc["_id"], []):
                    if not future.done():
                        future.set_result(doc)
        for (db_name, collection), readers in list(self._readers.items()):
            _prune(readers)
            for doc in await self._find(self.client[db_name][collection], list(readers)):
                still = []
                for version, future in readers.pop(doc["_id"], []):
                    if doc.get("_version", 0) >= version:
                        if not future.done():
                            future.set_result(doc)
                    else:
                        still.append((version, future))
                if still:
                    readers[doc["_id"]] = still

    async def _find(self, collection: Any, ids: list[str]) -> list[Doc]:
        found: list[Doc] = []
        for i in range(0, len(ids), _BATCH):
            found.extend(await collection.find({"_id": {"$in": ids[i : i + _BATCH]}}).to_list())
        return found


def _prune(waiting: dict[str, list[Any]]) -> None:
    """Forget waits whose callers gave up (timed out or disconnected)."""
    for key in list(waiting):
        alive = [entry for entry in waiting[key] if not _future_of(entry).done()]
        if alive:
            waiting[key] = alive
        else:
            del waiting[key]


def _future_of(entry: Any) -> asyncio.Future[Doc]:
    future: asyncio.Future[Doc] = entry[1] if isinstance(entry, tuple) else entry
    return future

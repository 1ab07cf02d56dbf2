"""One waiter board per process for every caller waiting on a command's outcome and its resource's readability.

The service that handles the command answers from its own batch: the executor announces each batch's
outcomes and the projection writer each batch's written documents (`announce_outcomes`, `announce_documents`),
which resolve the waiting futures and are remembered for a while (a caller may ask just after). What is
not announced in this process (another replica handled it, or it was handled before a restart) is found by
one slow fallback loop: a single `_id $in` query per database (and per collection) for every pending wait.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict, defaultdict
from typing import Any

import bson
from pymongo import AsyncMongoClient

from junction_common.logconfig import get_logger

Doc = dict[str, Any]
log = get_logger("junction.outcome_waits")

_BATCH = 500
_REMEMBER = 20_000  # announced outcomes and documents kept per process for callers that ask after the fact


class _Recent:
    """A bounded memory of the latest announced documents, oldest forgotten first."""

    def __init__(self, size: int = _REMEMBER) -> None:
        self._docs: OrderedDict[tuple[str, ...], Doc] = OrderedDict()
        self._size = size

    def put(self, key: tuple[str, ...], doc: Doc) -> None:
        self._docs[key] = doc
        self._docs.move_to_end(key)
        while len(self._docs) > self._size:
            self._docs.popitem(last=False)

    def get(self, key: tuple[str, ...]) -> Doc | None:
        return self._docs.get(key)


class OutcomePoller:
    """Resolves `outcome` and `readable` waits from announcements, else from `_id $in` queries every `interval_s`."""

    def __init__(self, client: AsyncMongoClient[Doc], interval_s: float = 0.2) -> None:
        self.client, self.interval_s = client, interval_s
        self._recent_outcomes, self._recent_docs = _Recent(), _Recent()
        self._outcomes: dict[str, dict[str, list[asyncio.Future[Doc]]]] = defaultdict(dict)
        self._readers: dict[tuple[str, str], dict[str, list[tuple[int, asyncio.Future[Doc]]]]] = defaultdict(dict)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def outcome(self, db_name: str, command_id: str, timeout: float) -> Doc | None:
        """The command's outcome document, or None when none is written within `timeout`."""
        known = self._recent_outcomes.get((db_name, command_id))
        if known is not None:
            return known
        future: asyncio.Future[Doc] = asyncio.get_running_loop().create_future()
        self._outcomes[db_name].setdefault(command_id, []).append(future)
        return await self._wait(future, timeout)

    async def readable(self, db_name: str, collection: str, doc_id: str, version: int, timeout: float) -> Doc | None:
        """The document once at `version` or later, or None when it is not within `timeout`."""
        known = self._recent_docs.get((db_name, collection, doc_id))
        if known is not None and known.get("_version", 0) >= version:
            return known
        future: asyncio.Future[Doc] = asyncio.get_running_loop().create_future()
        self._readers[(db_name, collection)].setdefault(doc_id, []).append((version, future))
        return await self._wait(future, timeout)

    def announce_outcomes(self, db_name: str, docs: list[Doc]) -> None:
        """Outcomes just recorded (stored form, `_id` = command id): their waiters are answered now."""
        for doc in _as_stored(docs):
            self._recent_outcomes.put((db_name, doc["_id"]), doc)
            for future in self._outcomes.get(db_name, {}).pop(doc["_id"], []):
                if not future.done():
                    future.set_result(doc)

    def announce_documents(self, db_name: str, collection: str, docs: list[Doc]) -> None:
        """Read-model documents just written (stored form): waiters for their version are answered now."""
        readers = self._readers.get((db_name, collection), {})
        for doc in _as_stored(docs):
            self._recent_docs.put((db_name, collection, doc["_id"]), doc)
            if doc["_id"] in readers:
                _settle(readers, doc)

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
                _settle(readers, doc)

    async def _find(self, collection: Any, ids: list[str]) -> list[Doc]:
        found: list[Doc] = []
        for i in range(0, len(ids), _BATCH):
            found.extend(await collection.find({"_id": {"$in": ids[i : i + _BATCH]}}).to_list())
        return found


def _settle(readers: dict[str, list[tuple[int, asyncio.Future[Doc]]]], doc: Doc) -> None:
    """Answer the readers of `doc` that wait for its version or an earlier one."""
    still = []
    for version, future in readers.pop(doc["_id"], []):
        if doc.get("_version", 0) >= version:
            if not future.done():
                future.set_result(doc)
        else:
            still.append((version, future))
    if still:
        readers[doc["_id"]] = still


_CODEC: bson.CodecOptions[Doc] = bson.CodecOptions(document_class=dict, tz_aware=True, tzinfo=bson.tz_util.utc)


def _as_stored(docs: list[Doc]) -> list[Doc]:
    """Documents as a read would return them (datetimes at milliseconds, UTC-aware; tuples as lists)."""
    return [bson.decode(bson.encode(doc), codec_options=_CODEC) for doc in docs]


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

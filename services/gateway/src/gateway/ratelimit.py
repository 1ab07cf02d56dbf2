"""Per-workspace rate limits by plan (workflow-api.txt): counted in memory by each gateway replica and
reconciled across replicas through MongoDB at a fixed interval.

Fixed windows of one minute and one day. Each replica keeps, per workspace window, the window's total as it
last read it from the database (`shared`, every replica's synced admissions) and what it admitted itself
since (`pending`); a request is admitted while `shared + pending` is below the plan's limit in both windows,
with no database call. Every `sync_s` seconds `sync()` adds every window's `pending` to its shared document
(`$inc`, one unordered `bulk_write` for all of them) and reads the totals back (one `_id $in` find): one write
per window per interval, whatever the request rate. A workspace's first request on a replica (or its first
after a quiet minute) reads its two windows first, so a new or restarted replica starts from the shared
count.

The cost is a bounded overshoot (docs/operations.md, "Rate limits"): what another replica admitted since
its last sync is not seen here until both have synced, so a window admits at most the limit plus, per other
replica, what that replica admits in one sync interval (two when their syncs do not line up). A single
replica never overshoots: it sees all of its own admissions at once.

A window's expiry is kept as epoch seconds with `$max` (nx-27017's upserts ignore `$setOnInsert`, and a
datetime it writes through an update reads back as a string), so the sweeper removes every expired window
on every server.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

Doc = dict[str, Any]

# plan -> (requests per minute, requests per day)
PLAN_LIMITS: dict[str, tuple[int, int]] = {
    "free": (60, 1_000),
    "starter": (120, 10_000),
    "pro": (300, 50_000),
    "business": (600, 200_000),
}

# A workspace's windows not used on this replica for this long (and fully synced) are forgotten; its next
# request reads them again.
IDLE_S = 60.0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # epoch seconds when the binding window ends

    def headers(self) -> dict[str, str]:
        out = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining),
               "X-RateLimit-Reset": str(self.reset)}
        if not self.allowed:
            out["Retry-After"] = str(max(self.reset - int(time.time()), 1))
        return out


@dataclass
class _Window:
    """One workspace window as this replica sees it."""

    reset: int  # epoch seconds when the window ends
    expires: float  # epoch seconds after which the sweeper may remove its document
    shared: int = 0  # the window's total in the database at the last sync (this replica's synced part included)
    pending: int = 0  # admitted here since, not yet written
    used_at: float = 0.0  # monotonic time of the last request here

    @property
    def used(self) -> int:
        return self.shared + self.pending


def _windows(workspace_id: str, now: float) -> tuple[tuple[str, int, float], tuple[str, int, float]]:
    """(key, reset, expires) of the workspace's minute and day windows at `now`."""
    minute, day = int(now // 60), int(now // 86400)
    minute_reset, day_reset = (minute + 1) * 60, (day + 1) * 86400
    return ((f"{workspace_id}:m:{minute}", minute_reset, float(minute_reset + 60)),
            (f"{workspace_id}:d:{day}", day_reset, float(day_reset + 3600)))


class RateLimiter:
    def __init__(self, db: AsyncDatabase[Doc], sync_s: float = 1.0) -> None:
        self.counters = db["rate_counters"]
        self.sync_s = sync_s
        self._windows: dict[str, _Window] = {}
        self._loading: dict[tuple[str, ...], asyncio.Future[dict[str, int]]] = {}
        self._sync_lock = asyncio.Lock()

    async def ensure_indexes(self) -> None:
        await self.counters.create_index("expires_epoch")

    async def _read(self, keys: list[str]) -> dict[str, int]:
        docs = await self.counters.find({"_id": {"$in": keys}}, {"n": 1}).to_list()
        return {str(doc["_id"]): int(doc.get("n", 0)) for doc in docs}

    async def _load(self, keys: tuple[str, ...]) -> dict[str, int]:
        """The shared totals of `keys`, one read however many requests ask at once."""
        future = self._loading.get(keys)
        if future is None:
            future = asyncio.ensure_future(self._read(list(keys)))
            self._loading[keys] = future
            future.add_done_callback(lambda _: self._loading.pop(keys, None))
        return await asyncio.shield(future)

    async def check(self, workspace_id: str, plan: str, now: float | None = None) -> Verdict:
        """Count this request against the workspace's minute and day windows if both have room."""
        now = time.time() if now is None else now
        per_minute, per_day = PLAN_LIMITS.get(plan, PLAN_LIMITS["free"])
        (m_key, m_reset, m_exp), (d_key, d_reset, d_exp) = _windows(workspace_id, now)
        if d_key not in self._windows:
            totals = await self._load((m_key, d_key))
            for key, reset, expires in ((m_key, m_reset, m_exp), (d_key, d_reset, d_exp)):
                if key not in self._windows:
                    self._windows[key] = _Window(reset, expires, shared=totals.get(key, 0))
        # A new minute of a workspace this replica already follows starts from zero here; the next sync
        # brings in what other replicas counted in it.
        minute = self._windows.setdefault(m_key, _Window(m_reset, m_exp))
        day = self._windows[d_key]
        minute.used_at = day.used_at = time.monotonic()
        if day.used >= per_day:
            return Verdict(False, per_minute, 0, d_reset)
        if minute.used >= per_minute:
            return Verdict(False, per_minute, 0, m_reset)
        minute.pending += 1
        day.pending += 1
        remaining = min(per_minute - minute.used, per_day - day.used)
        return Verdict(True, per_minute, max(remaining, 0), m_reset)

    async def sync(self) -> None:
        """Add what this replica admitted to the shared windows (one bulk write) and read their totals back."""
        async with self._sync_lock:
            flushing = {key: w.pending for key, w in self._windows.items() if w.pending}
            if flushing:
                await self.counters.bulk_write(
                    [UpdateOne({"_id": key}, {"$inc": {"n": count},
                                              "$max": {"expires_epoch": self._windows[key].expires}}, upsert=True)
                     for key, count in flushing.items()], ordered=False)
                for key, count in flushing.items():
                    window = self._windows[key]
                    window.pending -= count
                    window.shared += count  # written: part of the shared total from now on
            now, idle_since = time.time(), time.monotonic() - max(IDLE_S, 10 * self.sync_s)
            for key, window in list(self._windows.items()):
                if window.pending == 0 and (window.reset <= now or window.used_at < idle_since):
                    del self._windows[key]
            if self._windows:
                for key, total in (await self._read(list(self._windows))).items():
                    if (followed := self._windows.get(key)) is not None:
                        followed.shared = max(followed.shared, total)

    async def run(self) -> None:
        """Sync at every multiple of `sync_s` of the wall clock (so replicas sync about together) until
        cancelled. A failed sync keeps its counts for the next one."""
        while True:
            await asyncio.sleep(self.sync_s - time.time() % self.sync_s)
            with contextlib.suppress(Exception):
                await asyncio.shield(self.sync())  # a stop lets a write under way finish and be accounted

    async def close(self, timeout_s: float = 2.0) -> None:
        """A last sync, so a stopping replica's admissions are not lost."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.sync(), timeout_s)

    async def usage(self, workspace_id: str, now: float | None = None) -> dict[str, int]:
        now = time.time() if now is None else now
        (m_key, _, _), (d_key, _, _) = _windows(workspace_id, now)
        totals = await self._read([m_key, d_key])
        used = {key: totals.get(key, 0) + (w.pending if (w := self._windows.get(key)) else 0)
                for key in (m_key, d_key)}
        return {"requests_this_minute": used[m_key], "requests_today": used[d_key]}

    async def sweep(self, now: datetime) -> int:
        """Remove the windows that ended (their expiry is an hour or a minute after the window's end)."""
        return (await self.counters.delete_many({"expires_epoch": {"$lt": now.timestamp()}})).deleted_count

"""Per-workspace rate limits by plan (workflow-api.txt), shared by every gateway replica through MongoDB.

Fixed windows of one minute and one day; each request increments both counters atomically.

A window's expiry is kept as epoch seconds with `$max` (nx-27017's `find_one_and_update` upsert ignores
`$setOnInsert`, and a datetime it writes through an update reads back as a string), so the sweeper removes
every expired window on every server.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

Doc = dict[str, Any]

# plan -> (requests per minute, requests per day)
PLAN_LIMITS: dict[str, tuple[int, int]] = {
    "free": (60, 1_000),
    "starter": (120, 10_000),
    "pro": (300, 50_000),
    "business": (600, 200_000),
}


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


class RateLimiter:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.counters = db["rate_counters"]

    async def ensure_indexes(self) -> None:
        await self.counters.create_index("expires_epoch")

    async def _hit(self, key: str, expires_at: datetime) -> int:
        doc = await self.counters.find_one_and_update(
            {"_id": key}, {"$inc": {"n": 1}, "$max": {"expires_epoch": expires_at.timestamp()}},
            upsert=True, return_document=ReturnDocument.AFTER,
        )
        return int(doc["n"]) if doc else 1

    async def check(self, workspace_id: str, plan: str, now: float | None = None) -> Verdict:
        """Count this request against the workspace's minute and day windows."""
        now = time.time() if now is None else now
        per_minute, per_day = PLAN_LIMITS.get(plan, PLAN_LIMITS["free"])
        minute, day = int(now // 60), int(now // 86400)
        minute_reset, day_reset = (minute + 1) * 60, (day + 1) * 86400
        used_minute = await self._hit(f"{workspace_id}:m:{minute}", _at(minute_reset + 60))
        used_day = await self._hit(f"{workspace_id}:d:{day}", _at(day_reset + 3600))
        if used_day > per_day:
            return Verdict(False, per_minute, 0, day_reset)
        if used_minute > per_minute:
            return Verdict(False, per_minute, 0, minute_reset)
        remaining = min(per_minute - used_minute, per_day - used_day)
        return Verdict(True, per_minute, remaining, minute_reset)

    async def usage(self, workspace_id: str, now: float | None = None) -> dict[str, int]:
        now = time.time() if now is None else now
        minute = await self.counters.find_one({"_id": f"{workspace_id}:m:{int(now // 60)}"})
        day = await self.counters.find_one({"_id": f"{workspace_id}:d:{int(now // 86400)}"})
        return {"requests_this_minute": int(minute["n"]) if minute else 0,
                "requests_today": int(day["n"]) if day else 0}

    async def sweep(self, now: datetime) -> int:
        """Remove the windows that ended (their expiry is an hour or a minute after the window's end)."""
        return (await self.counters.delete_many({"expires_epoch": {"$lt": now.timestamp()}})).deleted_count


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC) + timedelta(0)

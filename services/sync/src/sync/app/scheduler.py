"""Schedules (hourly, daily, weekly, monthly): what `GET /api/pipelines/cron` triggers and what the built-in
scheduler component calls every `schedule_tick_s`.

A connection with `schedule: {enabled: true, frequency}` is due once per period (the hour, the day, the ISO week,
the month, in UTC). Each due slot fires exactly once however many sync replicas look at once: the first to insert
`{_id: "<connection id>:<slot>"}` into `sync_schedule_slots` triggers it; the others find the key taken. A connection
already running is skipped (its slot spent), as documented ("Already-running syncs are deduplicated").
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from junction_common.envelope import Actor, utcnow
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from sync.app.runs import Runs
from sync_contracts import runs as rx

log = get_logger(__name__)
Doc = dict[str, Any]
SLOTS = "sync_schedule_slots"
SCHEDULER = Actor(kind="system", id="scheduler")


def slot_of(frequency: str, now: datetime) -> str | None:
    """The period `now` falls in, for a schedule of `frequency` (None for one Junction does not know)."""
    if frequency == "hourly":
        return now.strftime("%Y-%m-%dT%H")
    if frequency == "daily":
        return now.strftime("%Y-%m-%d")
    if frequency == "weekly":
        year, week, _ = now.isocalendar()
        return f"{year}-W{week:02d}"
    if frequency == "monthly":
        return now.strftime("%Y-%m")
    return None


def scheduled_slot(connection: Doc, now: datetime) -> str | None:
    """The slot a connection's enabled schedule is in now (None: no enabled schedule)."""
    schedule = connection.get("schedule") or {}
    if not schedule.get("enabled") or connection.get("deleted"):
        return None
    return slot_of(str(schedule.get("frequency") or "").lower(), now)


@dataclass
class CronResult:
    triggered: list[str] = field(default_factory=list)  # connection ids
    run_ids: list[str] = field(default_factory=list)
    skipped: int = 0

    def answer(self) -> Doc:
        """pipelines-api.txt's cron answer."""
        return {"triggered": len(self.triggered), "skipped": self.skipped, "connections": self.triggered}


async def run_due(runtime: ServiceRuntime, workspace_id: str | None, now: datetime | None = None) -> CronResult:
    """Trigger every due schedule (of one workspace, or of all for the built-in scheduler)."""
    now, runs, result = now or utcnow(), Runs(runtime), CronResult()
    query: Doc = {"deleted": {"$ne": True}, "provider": {"$ne": None}}
    if workspace_id is not None:
        query["workspace_id"] = workspace_id
    async for connection in runtime.db[rx.CONNECTIONS].find(query):
        slot = scheduled_slot(connection, now)
        if slot is None:
            continue
        if not await _claim(runtime, connection["_id"], slot):
            result.skipped += 1
            continue
        triggered = await runs.trigger(connection["workspace_id"], connection["_id"], "SCHEDULED", SCHEDULER)
        if triggered.run is None:
            result.skipped += 1
            continue
        result.triggered.append(connection["_id"])
        result.run_ids.append(triggered.run["_id"])
    return result


async def _claim(runtime: ServiceRuntime, connection_id: str, slot: str) -> bool:
    try:
        await runtime.db[SLOTS].insert_one({"_id": f"{connection_id}:{slot}", "claimed_at": utcnow().isoformat()})
    except DuplicateKeyError:
        return False
    return True


class Scheduler:
    """The built-in scheduler: `run_due` for every workspace every `schedule_tick_s`."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.enabled = bool(getattr(runtime.settings, "scheduler_enabled", True))
        self.tick_s = float(getattr(runtime.settings, "schedule_tick_s", 30.0))
        self._task: asyncio.Task[None] | None = None

    async def prepare(self) -> None:
        return None

    async def start(self) -> None:
        if self.enabled:
            self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            try:
                result = await run_due(self.runtime, None)
                if result.triggered:
                    log.info("schedules_triggered", triggered=len(result.triggered), skipped=result.skipped)
            except Exception as exc:
                log.warning("schedule_tick_failed", error=type(exc).__name__)

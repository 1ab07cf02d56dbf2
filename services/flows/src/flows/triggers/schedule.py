"""The trigger schedule: a component that, every `trigger_tick_s`, fires the cron subscriptions whose slot is due
and polls the poll subscriptions whose round is due (flows.triggers.cron, flows.triggers.poll). Every replica runs
it; the claims make each slot and round happen once."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flows.triggers.cron import fire_due
from flows.triggers.poll import Poller
from flows_contracts import triggers as tx
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime

log = get_logger(__name__)
Doc = dict[str, Any]


class TriggerSchedule:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.tick_s = float(getattr(runtime.settings, "trigger_tick_s", 1.0))
        self.poller = Poller(runtime)
        self._task: asyncio.Task[None] | None = None
        self._polls: dict[str, asyncio.Task[list[str]]] = {}

    async def prepare(self) -> None:
        await self.runtime.db[tx.SKIPS].create_index([("trigger_id", 1)])
        await self.runtime.db[tx.CLAIMS].create_index([("trigger_id", 1)])

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._polls.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _run(self) -> None:
        while True:
            try:
                await self.tick(time.time())
            except Exception:
                log.exception("flow_trigger_tick_failed")
            await asyncio.sleep(self.tick_s)

    async def tick(self, now: float) -> None:
        """Fire every due cron slot; start a poll of every due poll subscription not already being polled."""
        due = [d for kind in ("cron", "poll") async for d in self.runtime.db[tx.TRIGGERS].find({"kind": kind})
               if d.get("status") == "active"]
        at = datetime.fromtimestamp(now, UTC)
        for trigger in due:
            if trigger["kind"] == "cron":
                await fire_due(self.runtime, trigger, at)
            elif trigger["_id"] not in self._polls:
                task = asyncio.create_task(self.poller.poll_due(trigger, now))
                self._polls[trigger["_id"]] = task
                task.add_done_callback(self._forget(trigger["_id"]))

    def _forget(self, trigger_id: str) -> Callable[[asyncio.Task[list[str]]], None]:
        """Once a poll ends, the subscription may be polled again (its next round)."""

        def forget(_: asyncio.Task[list[str]]) -> None:
            self._polls.pop(trigger_id, None)

        return forget

"""Schedules: with two sync replicas whose built-in schedulers tick together, a due slot fires exactly once; the
cron endpoint then finds nothing due (the slot is spent) and says so."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from conftest import start_sync
from junction_common.mongo import create_client
from junction_common.testing.infra import eventually
from tests.test_sync_runs import runs_edge

pytestmark = pytest.mark.integration


async def test_a_due_slot_fires_exactly_once_with_two_replicas(tmp_path: Path) -> None:
    async with runs_edge(tmp_path, rows=50, page_size=50, sync=False) as edge:
        replicas = [await start_sync(edge.stack, scheduler_enabled=True, schedule_tick_s=0.2, run_poll_s=0.2),
                    await start_sync(edge.stack, scheduler_enabled=True, schedule_tick_s=0.2, run_poll_s=0.2,
                                     internal_port=-1)]
        try:
            hourly = await edge.connect("Hourly", schedule={"enabled": True, "frequency": "hourly"})
            await edge.connect("Unscheduled")
            off = await edge.connect("Off", schedule={"enabled": False, "frequency": "daily"})

            async def one_finished_run() -> list[dict[str, object]]:
                _, answer = await edge.call("GET", f"/api/pipelines/connections/{hourly}/runs")
                return [r for r in answer["runs"] if r["status"] == "COMPLETED"]

            runs = await eventually(one_finished_run, 60)
            await asyncio.sleep(2.0)  # many more ticks of both schedulers
            _, answer = await edge.call("GET", f"/api/pipelines/connections/{hourly}/runs")
            assert len(answer["runs"]) == 1 and runs[0]["trigger"] == "SCHEDULED"
            _, quiet = await edge.call("GET", f"/api/pipelines/connections/{off}/runs")
            assert quiet["runs"] == []
            client = create_client(edge.stack.sync)
            try:
                slots = await client[edge.stack.sync.db_name("sync")]["sync_schedule_slots"].find().to_list()
            finally:
                await client.close()
            assert [s["_id"].split(":")[0] for s in slots] == [hourly]

            status, cron = await edge.call("GET", "/api/pipelines/cron")
            assert (status, cron) == (200, {"triggered": 0, "skipped": 1, "connections": []})
        finally:
            for replica in replicas:
                await replica.stop()

"""A sync service killed with SIGKILL in the middle of a run (a subprocess): the restarted service finds the run
RUNNING once the dead worker's lease lapses, resumes it from the connection's last checkpoint (the saved cursor,
not from scratch) and ends with the exact row set, nothing lost or doubled."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from junction_common.mongo import create_client
from junction_common.testing.infra import env_of, eventually
from tests.test_sync_runs import RunsEdge, runs_edge

pytestmark = pytest.mark.integration
FIRST, MORE = 3000, 3000


async def start_sync_process(edge: RunsEdge, log_path: Path) -> asyncio.subprocess.Process:
    settings = edge.stack.sync
    env = {**os.environ, **env_of(settings), "JUNCTION_SERVICE_URLS": json.dumps(settings.service_urls),
           "JUNCTION_RUN_LEASE_S": "2", "JUNCTION_RUN_POLL_S": "0.2", "JUNCTION_SCHEDULER_ENABLED": "false",
           "JUNCTION_RUN_BATCH_ROWS": "200", "JUNCTION_LOG_LEVEL": "WARNING"}
    log = log_path.open("ab")
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "sync.main", env=env, stdout=log,
                                                   stderr=log, start_new_session=True)

    async def healthy() -> bool:
        try:
            async with aiohttp.ClientSession() as http, http.get(
                    f"http://127.0.0.1:{settings.internal_port}/healthz") as resp:
                return resp.status == 200
        except aiohttp.ClientError:
            return False

    await eventually(healthy, 60, 0.2)
    return process


def sinces(edge: RunsEdge, start: int) -> set[Any]:
    return {s.query.get("updated_since") for s in edge.api.requests[start:] if s.path.startswith("/items")}


async def test_sigkill_mid_run_resumes_from_the_checkpoint_with_the_exact_row_set(tmp_path: Path) -> None:
    async with runs_edge(tmp_path, rows=FIRST, page_size=100, sync=False) as edge:
        process = await start_sync_process(edge, tmp_path / "sync.log")
        try:
            cid = await edge.connect()
            first = await edge.finished(cid, await edge.trigger(cid))
            assert first["status"] == "COMPLETED" and first["rowsCreated"] == FIRST, first
            checkpoint = edge.api.rows[-1]["updated_at"]

            edge.api.add_rows(MORE)
            edge.api.delay_s = 0.15  # pages slow enough to be killed between
            seen = len(edge.api.requests)
            run_id = await edge.trigger(cid)

            async def midway() -> bool:
                return FIRST + 300 <= len(await edge.rows()) < FIRST + MORE

            await eventually(midway, 60, 0.05)
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            killed_at = len(await edge.rows())
            client = create_client(edge.stack.sync)
            try:
                left = await client[edge.stack.sync.db_name("sync")]["sync_runs"].find_one({"_id": run_id})
            finally:
                await client.close()
            assert left is not None and left["status"] == "RUNNING"  # as the killed worker left it

            resumed_from = len(edge.api.requests)
            process = await start_sync_process(edge, tmp_path / "sync.log")
            edge.api.delay_s = 0.0
            run = await edge.finished(cid, run_id, 120)
            assert run["status"] == "COMPLETED" and run["attempts"] == 2, run
            assert FIRST < killed_at < FIRST + MORE
            # Both attempts read from the last checkpoint (the first run's cursor), never from the start.
            assert sinces(edge, seen) == {checkpoint} and sinces(edge, resumed_from) == {checkpoint}
            rows = await edge.rows()
            assert len(rows) == FIRST + MORE
            assert sorted(int(r["data"]["id"]) for r in rows) == sorted(int(r["id"]) for r in edge.api.rows)
        finally:
            if process.returncode is None:
                os.killpg(process.pid, signal.SIGTERM)
                await process.wait()

"""A sync service killed with SIGKILL in the middle of a run (a subprocess): the restarted service finds the run
RUNNING once the dead worker's lease lapses, resumes it from the last checkpoint the killed run reached inside the
stream (the provider reads in windows, each checkpointed by its own STATE: not the previous run's cursor, not from
scratch) and ends with the exact row set, nothing lost or doubled."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from junction_common.envelope import utcnow
from junction_common.mongo import create_client
from junction_common.store.event_store import commit_events
from junction_common.testing.infra import env_of, eventually
from tests.test_sync_runs import RunsEdge, runs_edge

pytestmark = pytest.mark.integration
FIRST, MORE = 3000, 3000
WINDOW = "PT5M"  # 600 rows a window (two rows a second): the new rows span five windows, each a checkpoint


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


def sinces(edge: RunsEdge, start: int) -> list[Any]:
    """The lower bounds the source asked the simulator for since request `start`, in order."""
    return [s.query.get("updated_since") for s in edge.api.requests[start:] if s.path.startswith("/items")]


async def checkpoints(edge: RunsEdge, run_id: str) -> list[Any]:
    """The cursors the run's `sync.cursor_advanced` events saved, in the order appended."""
    client = create_client(edge.stack.sync)
    try:
        commits = client[edge.stack.sync.db_name("sync")]["event_commits"].find({})
        found = [(c["base_version"], e["data"]["cursor"]) async for c in commits for e in commit_events(c)
                 if e["type"] == "sync.cursor_advanced" and e["data"]["run_id"] == run_id]
    finally:
        await client.close()
    return [cursor for _, cursor in sorted(found, key=lambda pair: pair[0])]


async def test_sigkill_mid_run_resumes_from_the_checkpoint_with_the_exact_row_set(tmp_path: Path) -> None:
    base = (utcnow() - timedelta(hours=3)).replace(microsecond=0)  # every row, old and new, before now
    async with runs_edge(tmp_path, rows=FIRST, page_size=100, sync=False, base=base, window=WINDOW) as edge:
        process = await start_sync_process(edge, tmp_path / "sync.log")
        try:
            cid = await edge.connect()
            first_id = await edge.trigger(cid)
            first = await edge.finished(cid, first_id)
            assert first["status"] == "COMPLETED" and first["rowsCreated"] == FIRST, first
            previous = edge.api.rows[-1]["updated_at"]
            assert (await checkpoints(edge, first_id))[-1] == previous  # its last window's last row

            edge.api.add_rows(MORE)
            edge.api.delay_s = 0.3  # pages slow enough to be killed between
            seen = len(edge.api.requests)
            run_id = await edge.trigger(cid)

            async def past_a_checkpoint() -> bool:
                """The run saved a checkpoint of its own inside the stream and has rows still to read."""
                reached = [c for c in await checkpoints(edge, run_id) if c > previous]
                return bool(reached) and len(await edge.rows()) < FIRST + MORE

            await eventually(past_a_checkpoint, 60, 0.05)
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            killed_at = len(await edge.rows())
            reached = (await checkpoints(edge, run_id))[-1]
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
            # The killed attempt read from the previous run's cursor; the resumed one from the checkpoint the killed
            # attempt reached inside the stream (later than the previous run's), never from before it. (Windows are
            # read a few at a time, so the earliest bound asked is the one each attempt started from.)
            assert min(sinces(edge, seen)) == previous and previous < reached < edge.api.rows[-1]["updated_at"]
            assert min(sinces(edge, resumed_from)) == reached
            rows = await edge.rows()
            assert len(rows) == FIRST + MORE
            assert sorted(int(r["data"]["id"]) for r in rows) == sorted(int(r["id"]) for r in edge.api.rows)
        finally:
            if process.returncode is None:
                os.killpg(process.pid, signal.SIGTERM)
                await process.wait()

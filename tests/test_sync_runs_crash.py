"""A sync service (a subprocess) that kills itself with SIGKILL at a crash point inside a batch's write: after its
records are written, after its rows are written (before their `record.ingested` events are appended), or just
after the events are appended. The restarted service resumes the run, settles what the killed attempt left, and
ends with every row and exactly one event per ingested item: none lost, none doubled."""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

import pytest

from junction_common.mongo import create_client
from junction_common.store.event_store import commit_events
from tests.test_sync_runs import RunsEdge, runs_edge
from tests.test_sync_runs_sigkill import start_sync_process

pytestmark = pytest.mark.integration
ROWS = 1000


async def ingested_events(edge: RunsEdge, run_id: str) -> Counter[str]:
    """How many `record.ingested` events the event store holds per record id, for the run's records (record
    events are in record-batch streams, `rcb_...`, their events packed as one JSON text)."""
    client = create_client(edge.stack.sync)
    try:
        commits = client[edge.stack.sync.db_name("sync")]["event_commits"].find({"stream_id": {"$regex": "^rcb_"}})
        return Counter([e["data"]["record"]["id"] async for c in commits for e in commit_events(c)
                        if e["type"] == "record.ingested" and e["data"]["record"]["run_id"] == run_id])
    finally:
        await client.close()


async def records_of(edge: RunsEdge) -> set[str]:
    client = create_client(edge.stack.sync)
    try:
        db = client[edge.stack.sync.db_name("sync")]
        loose = {str(d["_id"]) async for d in db["sync_records"].find({"workspace_id": edge.workspace_id}, {"_id": 1})}
        in_rows = {str(d["rec"]["_id"]) async for d in db["sync_table_rows"].find(
            {"workspace_id": edge.workspace_id, "rec._id": {"$exists": True}}, {"rec": 1})}
        assert not loose & in_rows  # a record is in one place
        return loose | in_rows
    finally:
        await client.close()


@pytest.mark.parametrize("point", ["rows_written", "events_appended"])
async def test_a_run_killed_inside_a_batch_write_loses_and_doubles_no_event(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str) -> None:
    async with runs_edge(tmp_path, rows=ROWS, page_size=100, sync=False) as edge:
        monkeypatch.setenv("JUNCTION_CRASH_POINT", point)
        process = await start_sync_process(edge, tmp_path / "sync.log")
        monkeypatch.delenv("JUNCTION_CRASH_POINT")
        try:
            cid = await edge.connect()
            run_id = await edge.trigger(cid)
            assert await process.wait() == -signal.SIGKILL  # it killed itself at the crash point, in its first batch
            written = len(await edge.rows())
            events = await ingested_events(edge, run_id)
            assert 0 < written < ROWS
            assert sum(events.values()) == (written if point == "events_appended" else 0)

            process = await start_sync_process(edge, tmp_path / "sync.log")
            run = await edge.finished(cid, run_id, 120)
            assert run["status"] == "COMPLETED" and run["attempts"] == 2, run
            rows = await edge.rows()
            assert sorted(int(r["data"]["id"]) for r in rows) == sorted(int(r["id"]) for r in edge.api.rows)
            events = await ingested_events(edge, run_id)
            assert set(events) == await records_of(edge) and len(events) == ROWS  # one event per item ...
            assert set(events.values()) == {1}, [rid for rid, n in events.items() if n > 1][:5]  # ... and only one
        finally:
            if process.returncode is None:
                os.killpg(process.pid, signal.SIGTERM)
                await process.wait()

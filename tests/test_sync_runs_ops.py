"""The documented sync operations replayed through the gateway (discover, trigger, list, stop, cursor reset, cron,
run-all, the integrations trigger), cursor restore from the history, stop within a page, and run-all's skip."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from junction_common.testing.infra import eventually
from tests.test_sync_runs import runs_edge

pytestmark = pytest.mark.integration
Json = dict[str, Any]
SET_CURSOR = {"stream": "transcripts", "cursor": "2026-01-01T00:00:00.000Z"}
SET_ANSWER = {"success": True,
              "syncState": {"version": 1, "streams": {"transcripts": {"cursor": "2026-01-01T00:00:00.000Z"}}},
              "message": "Sync cursor set to 2026-01-01T00:00:00.000Z for stream \"transcripts\""}
CLEAR_ANSWER = {"success": True, "syncState": {"version": 1, "streams": {}},
                "message": "Sync cursor cleared - next sync will be a full resync"}


async def test_documented_examples_discover_trigger_list_reset_cron(tmp_path: Path) -> None:
    async with runs_edge(tmp_path, rows=120, page_size=50, streams=("contacts", "deals")) as edge:
        cid = await edge.connect()
        status, found = await edge.call("POST", f"/api/pipelines/connections/{cid}/discover")
        assert status == 200, found
        assert [s["name"] for s in found["streams"]] == ["contacts", "deals"]
        contacts = found["streams"][0]
        assert set(contacts["supportedSyncModes"]) == {"full_refresh", "incremental"}
        assert {"id", "updated_at"} <= {f["name"] for f in contacts["fields"]}

        run_id = await edge.trigger(cid, {"streams": ["contacts", "deals"]})
        run = await edge.finished(cid, run_id)
        assert run["status"] == "COMPLETED" and run["trigger"] == "MANUAL", run
        assert run["rowsSynced"] == 240 and set(run["streamResults"]) == {"contacts", "deals"}
        status, listed = await edge.call("GET", f"/api/pipelines/connections/{cid}/runs?limit=50&offset=0")
        assert status == 200 and listed["pagination"] == {"limit": 50, "offset": 0, "total": 1, "hasMore": False}
        assert {"id", "status", "trigger", "startedAt", "completedAt", "rowsSynced", "rowsCreated",
                "rowsUpdated"} <= set(listed["runs"][0])

        status, stopped = await edge.call("POST", f"/api/pipelines/connections/{cid}/runs/{run_id}")
        assert status == 200 and stopped["run"]["status"] == "COMPLETED"  # a finished run stays as it ended

        status, answer = await edge.call("PATCH", f"/api/pipelines/connections/{cid}", {"stream": "transcripts",
                                                                                       "cursor": None})
        assert (status, answer) == (200, CLEAR_ANSWER)
        status, answer = await edge.call("PATCH", f"/api/pipelines/connections/{cid}", SET_CURSOR)
        assert (status, answer) == (200, SET_ANSWER)
        status, answer = await edge.call("PATCH", f"/api/pipelines/connections/{cid}", {"stream": "transcripts",
                                                                                       "cursor": None})
        assert (status, answer) == (200, CLEAR_ANSWER)
        status, answer = await edge.call("PATCH", f"/api/pipelines/connections/{cid}", {"cursor": "not a date"})
        assert status == 422 and answer["success"] is False and answer["code"] == "VALIDATION_ERROR"

        status, cron = await edge.call("GET", "/api/pipelines/cron")
        assert (status, cron) == (200, {"triggered": 0, "skipped": 0, "connections": []})

        status, started = await edge.call("POST", f"/v1/integrations/{cid}/sync")
        assert status == 202 and started["success"] is True and started["data"]["trigger"] == "INTEGRATION"
        assert (await edge.finished(cid, started["data"]["id"]))["status"] == "COMPLETED"


async def test_a_cursor_restored_from_the_history_is_where_the_next_run_starts(tmp_path: Path) -> None:
    async with runs_edge(tmp_path, rows=200, page_size=50) as edge:
        cid = await edge.connect()
        assert (await edge.finished(cid, await edge.trigger(cid)))["status"] == "COMPLETED"
        status, history = await edge.call("GET", f"/api/pipelines/connections/{cid}/cursors")
        assert status == 200 and history["history"][0]["type"] == "sync.cursor_advanced"
        after_run = history["history"][0]
        last_cursor = after_run["syncState"]["streams"]["items"]["cursor"]
        assert last_cursor == edge.api.rows[-1]["updated_at"]

        status, answer = await edge.call("PATCH", f"/api/pipelines/connections/{cid}",
                                         {"stream": "items", "cursor": "2026-01-01T00:01:00.000Z"})
        assert answer["syncState"]["streams"]["items"]["cursor"] == "2026-01-01T00:01:00.000Z"
        status, restored = await edge.call("POST", f"/api/pipelines/connections/{cid}/cursors/restore",
                                           {"version": after_run["version"]})
        assert status == 200, restored
        assert restored["syncState"] == after_run["syncState"]

        seen = len(edge.api.requests)
        assert (await edge.finished(cid, await edge.trigger(cid)))["status"] == "COMPLETED"
        sinces = {s.query.get("updated_since") for s in edge.api.requests[seen:] if s.path.startswith("/items")}
        assert sinces == {last_cursor}

        status, refreshed = await edge.call("POST", f"/api/pipelines/connections/{cid}/streams/items/refresh", {})
        assert status == 201, refreshed
        seen = len(edge.api.requests)
        run = await edge.finished(cid, refreshed["run"]["id"])
        assert run["status"] == "COMPLETED" and run["rowsSynced"] == 200 and run["rowsUpdated"] == 200
        sinces = {s.query.get("updated_since") for s in edge.api.requests[seen:] if s.path.startswith("/items")}
        assert sinces <= {None, "1970-01-01T00:00:00Z"}  # from the start (the manifest's first lower bound)


async def test_stop_cancels_within_a_page_and_run_all_skips_a_running_connection(tmp_path: Path) -> None:
    async with runs_edge(tmp_path, rows=3000, page_size=50, delay_s=0.3) as edge:
        first, second = await edge.connect("Slow A"), await edge.connect("Slow B")
        run_id = await edge.trigger(first)
        status, again = await edge.call("POST", f"/api/pipelines/connections/{first}/runs", {})
        assert status == 409 and again["details"]["runId"] == run_id

        status, enqueued = await edge.call("POST", "/api/pipelines/run-all")
        assert status == 201, enqueued
        assert enqueued["count"] == 1 and enqueued["message"] == "Enqueued 1 sync(s), 1 already in progress"
        other_run = enqueued["runIds"][0]
        await edge.call("POST", f"/api/pipelines/connections/{second}/runs/{other_run}")
        assert (await edge.finished(second, other_run, 30))["status"] == "CANCELLED"

        async def some_rows() -> bool:
            return len(await edge.rows()) >= 100

        await eventually(some_rows, 60)
        status, stopped = await edge.call("POST", f"/api/pipelines/connections/{first}/runs/{run_id}")
        assert status == 200, stopped
        run = await edge.finished(first, run_id, 30)
        assert run["status"] == "CANCELLED" and run["completedAt"] is not None
        asked = len(edge.api.requests)
        await asyncio.sleep(1.5)
        assert len(edge.api.requests) - asked <= 1  # the source was stopped: at most the page in flight ends
        assert len(await edge.rows()) < 3000


async def test_runs_at_once_are_bounded_across_connections(tmp_path: Path) -> None:
    async with runs_edge(tmp_path, rows=2000, page_size=50, delay_s=0.2,
                         sync_settings={"max_concurrent_runs": 1}) as edge:
        first, second = await edge.connect("Bounded A"), await edge.connect("Bounded B")
        first_run = await edge.trigger(first)

        async def running() -> bool:
            return (await edge.run(first, first_run))["status"] == "RUNNING"

        await eventually(running, 60)
        second_run = await edge.trigger(second)
        await asyncio.sleep(2.0)  # many polls of the worker: its one slot is taken
        assert (await edge.run(second, second_run))["status"] == "PENDING"
        await edge.call("POST", f"/api/pipelines/connections/{first}/runs/{first_run}")
        assert (await edge.finished(first, first_run, 30))["status"] == "CANCELLED"

        async def second_running() -> bool:
            return (await edge.run(second, second_run))["status"] in ("RUNNING", "COMPLETED")

        await eventually(second_running, 30)
        await edge.call("POST", f"/api/pipelines/connections/{second}/runs/{second_run}")
        assert (await edge.finished(second, second_run, 30))["status"] in ("CANCELLED", "COMPLETED")

"""Triggers without an API key and what a finished run tells: the connection's webhook token starts a sync
(documented answer, 202), and completion and failure notifications go to the connection's notifyUserIds (or every
member), never to the user who triggered the run, listed and emitted as events."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from junction_common.contracts.public_events import public_event
from junction_common.envelope import EventEnvelope
from junction_common.mongo import create_client
from junction_common.testing.infra import eventually
from tests.test_sync_runs import runs_edge

pytestmark = pytest.mark.integration


async def test_the_webhook_token_triggers_a_sync_and_notifications_are_listed(tmp_path: Path) -> None:
    async with runs_edge(tmp_path, rows=60, page_size=50) as edge:
        cid = await edge.connect("Hooked", notifyUserIds=["cm_user1", "cm_user2"])
        status, revealed = await edge.call("POST", f"/api/pipelines/connections/{cid}/webhook-url")
        assert status == 200, revealed
        token = revealed["webhookUrl"].rsplit("/", 1)[-1]
        async with edge.http.post(f"{edge.url}/api/pipelines/webhook/{token}") as resp:
            assert resp.status == 202
            assert await resp.json() == {"success": True, "message": "Sync triggered"}
        async with edge.http.post(f"{edge.url}/api/pipelines/webhook/not-a-token-at-all") as resp:
            assert resp.status == 404
            assert (await resp.json())["success"] is False

        _, listed = await edge.call("GET", f"/api/pipelines/connections/{cid}/runs")
        run = await edge.finished(cid, listed["runs"][0]["id"])
        assert run["status"] == "COMPLETED" and run["trigger"] == "WEBHOOK" and run["rowsSynced"] == 60

        manual = await edge.finished(cid, await edge.trigger(cid))
        assert manual["status"] == "COMPLETED"

        async def notices(query: str = "") -> list[dict[str, object]]:
            status, answer = await edge.call("GET", f"/api/pipelines/notifications{query}")
            assert status == 200, answer
            return list(answer["notifications"])

        found = await eventually(lambda: _two(notices), 30)
        assert {n["runId"] for n in found} == {run["id"], manual["id"]}
        assert all(n["kind"] == "completed" and n["recipients"] == ["cm_user1", "cm_user2"] for n in found)
        assert all(n["allMembers"] is False for n in found)
        assert len(await notices("?userId=cm_user1")) == 2 and await notices("?userId=someone_else") == []

        # The manual run's notification leaves out the key that triggered it.
        by_run = {n["runId"]: n for n in found}
        assert by_run[manual["id"]]["excluded"] and not by_run[run["id"]]["excluded"]

        client = create_client(edge.stack.sync)
        try:
            commits = client[edge.stack.sync.db_name("sync")]["event_commits"]
            events = await commits.find({"events.type": "sync_notification.created"}).to_list()
            ended = await commits.find_one({"stream_id": run["id"], "events.type": "sync_run.completed"})
        finally:
            await client.close()
        assert len(events) == 2
        # What a webhook endpoint or a flow gets for sync_run.completed: the run as the API returns it.
        assert ended is not None
        public = public_event(EventEnvelope.model_validate(ended["events"][0]))
        shown = {k: v for k, v in public["data"].items() if k not in ("created_at", "updated_at", "completedAt")}
        assert public["type"] == "sync_run.completed"
        assert shown == {k: v for k, v in run.items() if k != "completedAt"}


async def _two(notices: object) -> list[dict[str, object]] | None:
    found = await notices()  # type: ignore[operator]
    return found if len(found) >= 2 else None


async def test_a_failing_source_fails_the_run_with_its_page_and_notifies_every_member(tmp_path: Path) -> None:
    async with runs_edge(tmp_path, rows=60, page_size=50) as edge:
        cid = await edge.connect("Failing")
        edge.api.api_key = "rotated-away"  # the provider now refuses the connection's key: every page 401s
        run = await edge.finished(cid, await edge.trigger(cid))
        assert run["status"] == "FAILED" and run["error"]["message"], run
        assert "paged-key" not in run["error"]["message"]  # the credential never shows
        async def listed() -> list[dict[str, object]]:
            async with aiohttp.ClientSession() as http, http.get(
                    f"{edge.url}/api/pipelines/notifications", headers={"Authorization": f"Bearer {edge.key}"}) as resp:
                return list((await resp.json())["notifications"])

        found = await eventually(listed, 30)
        assert [(n["kind"], n["allMembers"], n["runId"]) for n in found] == [("failed", True, run["id"])]

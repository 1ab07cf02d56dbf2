"""integrations-api.txt's `POST /v1/integrations/{integrationId}/sync` for a tenant integration (`int_...`, the
connections service's own aggregate) through the gateway: the paged simulator as provider `paged_sim` (read in
windows), an integration of it configured with its key, a sync run of it into tables named from it, an incremental
second run from its cursor, one run at a time, and another workspace's integration never found."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from junction_common.envelope import utcnow
from junction_common.mongo import create_client
from junction_common.testing.infra import eventually
from tests.test_sync_runs import RunsEdge, admin_key, run_requests, runs_edge

pytestmark = pytest.mark.integration
Json = dict[str, Any]


async def integrate(edge: RunsEdge, name: str = "Paged CRM", key: str | None = None) -> str:
    body = {"service": "paged_sim", "name": name, "enabled": True, "settings": {"apiKey": edge.api.api_key}}
    status, answer = await edge.call("POST", "/v1/integrations", body, key=key)
    assert status in (200, 201), answer
    return str(answer["data"]["id"])


async def table_names(edge: RunsEdge) -> list[str]:
    client = create_client(edge.stack.sync)
    try:
        tables = client[edge.stack.sync.db_name("sync")]["sync_tables"]
        return [str(t["name"]) async for t in tables.find({"workspace_id": edge.workspace_id})]
    finally:
        await client.close()


async def sync(edge: RunsEdge, integration_id: str, key: str | None = None) -> tuple[int, Json]:
    status, answer = await edge.call("POST", f"/v1/integrations/{integration_id}/sync", {}, key=key)
    return status, answer


async def test_an_integration_syncs_into_its_own_tables_then_incrementally(tmp_path: Path) -> None:
    base = (utcnow() - timedelta(hours=2)).replace(microsecond=0)  # read in windows (a checkpoint each) up to now
    async with runs_edge(tmp_path, rows=1200, page_size=200, base=base, window="PT5M") as edge:
        integration_id = await integrate(edge)
        assert integration_id.startswith("int_")
        status, answer = await sync(edge, integration_id)
        assert status == 202, answer
        run = answer["data"]
        assert run["status"] in ("PENDING", "RUNNING") and run["trigger"] == "INTEGRATION", run
        again, refused = await sync(edge, integration_id)  # one run at a time, like a connection
        assert again == 409 and refused["error"]["details"]["runId"] == run["id"], refused

        first = await edge.finished(integration_id, run["id"])
        assert first["status"] == "COMPLETED", first
        assert (first["rowsSynced"], first["rowsCreated"]) == (1200, 1200)
        rows = await edge.rows()
        assert sorted(int(r["data"]["id"]) for r in rows) == [int(r["id"]) for r in edge.api.rows]
        assert await table_names(edge) == ["Paged CRM items"]  # named from the integration, as a connection's

        first_last = edge.api.rows[-1]["updated_at"]
        seen = len(edge.api.requests)
        added = edge.api.add_rows(50)
        status, answer = await sync(edge, integration_id)
        assert status == 202, answer
        second = await edge.finished(integration_id, answer["data"]["id"])
        assert second["status"] == "COMPLETED" and second["rowsCreated"] == len(added), second
        fetched = run_requests(edge.api, seen)
        assert fetched and min(query["updated_since"] for query in fetched) == first_last  # its cursor
        assert len(await edge.rows()) == 1250

        connection_id = await edge.connect("Paged pipeline")  # run-all: pipelines connections, not integrations
        status, answer = await edge.call("POST", "/api/pipelines/run-all", {})
        assert status == 201 and answer["count"] == 1, answer
        assert (await edge.run(connection_id, answer["runIds"][0]))["trigger"] == "RUN_ALL"


async def test_another_workspaces_integration_is_not_found(tmp_path: Path) -> None:
    async with runs_edge(tmp_path, rows=10) as edge:
        theirs = await integrate(edge)
        other_key, _ = await admin_key(edge.stack)
        for integration_id in (theirs, "int_missing"):
            status, answer = await sync(edge, integration_id, key=other_key)
            assert status == 404 and answer["error"]["code"] == "NOT_FOUND", answer
        status, answer = await edge.call("GET", f"/api/pipelines/connections/{theirs}/runs", key=other_key)
        assert status == 404, answer


async def test_a_disabled_integration_is_not_synced(tmp_path: Path) -> None:
    async with runs_edge(tmp_path, rows=10) as edge:
        integration_id = await integrate(edge)
        status, answer = await edge.call("PUT", f"/v1/integrations/{integration_id}", {"enabled": False})
        assert status == 200, answer

        async def refused() -> Json | None:
            status, answer = await sync(edge, integration_id)
            return answer if status == 422 else None

        answer = await eventually(refused, 10, 0.2)
        assert answer["error"]["code"] == "VALIDATION_ERROR", answer

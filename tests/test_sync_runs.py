"""Sync runs end to end on the real stack: the paged API simulator as an operator provider of the connections
service, a connection made through the gateway, runs triggered through the gateway and read by airbyte-cdk's
declarative engine into tables; full and incremental syncs, cursor reset/restore, stop, run-all and discover."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from conftest import Stack, isolated_stack, start_connections, start_gateway, start_sync
from junction_common.envelope import utcnow
from junction_common.identity import IdentityStore
from junction_common.mongo import create_client
from junction_common.service import ServiceRuntime
from junction_common.testing.infra import eventually
from junction_common.workspaces import create_workspace
from sync.runtime.environments import CDK_PACKAGE
from sync.runtime.runtime import ConnectorRuntime
from sync.settings import SyncSettings
from tests.simulators.paged_api import PagedApi, paged_api, provider

pytestmark = pytest.mark.integration
Json = dict[str, Any]
SCOPES = ["pipelines:read", "pipelines:write", "pipelines:admin", "integrations:read", "integrations:write"]
FINISHED = ("COMPLETED", "FAILED", "CANCELLED")


@dataclass
class RunsEdge:
    url: str
    http: aiohttp.ClientSession
    stack: Stack
    api: PagedApi
    sync: ServiceRuntime
    key: str
    workspace_id: str

    async def call(self, method: str, path: str, body: Any = None, key: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {key or self.key}"}
        async with self.http.request(method, self.url + path, json=body, headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)

    async def connect(self, name: str = "Paged CRM", **extra: Any) -> str:
        body = {"name": name, "type": "PAGED_SIM", "credentials": {"apiKey": self.api.api_key}, **extra}
        status, answer = await self.call("POST", "/api/pipelines/connections", body)
        assert status == 201, answer
        return str(answer["connection"]["id"])

    async def trigger(self, connection_id: str, body: Json | None = None) -> str:
        status, answer = await self.call("POST", f"/api/pipelines/connections/{connection_id}/runs", body or {})
        assert status == 201, answer
        return str(answer["run"]["id"])

    async def run(self, connection_id: str, run_id: str) -> Json:
        status, answer = await self.call("GET", f"/api/pipelines/connections/{connection_id}/runs?limit=200")
        assert status == 200, answer
        return next(r for r in answer["runs"] if r["id"] == run_id)

    async def finished(self, connection_id: str, run_id: str, timeout: float = 240.0) -> Json:
        async def done() -> Json | None:
            found = await self.run(connection_id, run_id)
            return found if found["status"] in FINISHED else None

        found: Json = await eventually(done, timeout, 0.3)
        return found

    async def rows(self) -> list[Json]:
        """Every table row of the workspace, as stored."""
        client = create_client(self.stack.sync)
        try:
            db = client[self.stack.sync.db_name("sync")]
            return [d async for d in db["sync_table_rows"].find({"workspace_id": self.workspace_id})]
        finally:
            await client.close()


async def admin_key(stack: Stack) -> tuple[str, str]:
    settings = stack.gateway
    workspace, _ = await create_workspace(settings, "Runs", "business")
    client = create_client(settings)
    try:
        store = IdentityStore(client[settings.db_name("identity")], settings.signing_secret)
        return await store.create_key(workspace["_id"], "runs", "ADMIN", SCOPES, utcnow()), workspace["_id"]
    finally:
        await client.close()


async def cdk_installed() -> None:
    """airbyte-cdk in its cached environment before a run needs it (installed once per machine)."""
    runtime = ConnectorRuntime(SyncSettings())
    await runtime.environments.ensure(CDK_PACKAGE, runtime.cdk_version)


def write_provider(folder: Path, api: PagedApi, style: str = "page", page_size: int = 500,
                   streams: tuple[str, ...] = ("items",)) -> None:
    """The simulator as provider `paged_sim`, its `items` endpoint under each name of `streams`."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = provider(api, style, page_size=page_size)
    manifest["streams"] = [{**manifest["streams"][0], "name": name} for name in streams]
    (folder / "paged_sim.yaml").write_text(yaml.safe_dump(manifest))


@contextlib.asynccontextmanager
async def runs_edge(tmp: Path, rows: int = 0, page_size: int = 500, sync: bool = True,
                    sync_settings: Json | None = None, streams: tuple[str, ...] = ("items",),
                    **knobs: Any) -> AsyncIterator[RunsEdge]:
    """The stack with the simulator (`rows` rows) as provider `paged_sim`; the sync service unless `sync=False`."""
    await cdk_installed()
    async with isolated_stack() as stack, paged_api(rows, page_size=page_size, **knobs) as api:
        write_provider(tmp / "providers", api, page_size=page_size, streams=streams)
        connections = await start_connections(stack, provider_dirs=str(tmp / "providers"),
                                              provider_allow_networks="127.0.0.0/8")
        settings = {"run_lease_s": 3.0, "run_poll_s": 0.2, "scheduler_enabled": False, **(sync_settings or {})}
        service = await start_sync(stack, **settings) if sync else None
        try:
            async with start_gateway(stack.gateway) as gateway, aiohttp.ClientSession() as http:
                key, workspace_id = await admin_key(stack)
                yield RunsEdge(gateway.url, http, stack, api, service, key, workspace_id)  # type: ignore[arg-type]
        finally:
            if service is not None:
                await service.stop()
            await connections.stop()


def run_requests(api: PagedApi, since: int) -> list[Json]:
    return [{"path": seen.path, **seen.query} for seen in api.requests[since:] if seen.path.startswith("/items")]


async def test_full_then_incremental_sync_of_10000_rows_loses_and_doubles_nothing(tmp_path: Path) -> None:
    async with runs_edge(tmp_path, rows=10_000, same_second=2) as edge:
        connection_id = await edge.connect()
        first = await edge.finished(connection_id, await edge.trigger(connection_id))
        assert first["status"] == "COMPLETED", first
        assert (first["rowsSynced"], first["rowsCreated"], first["rowsUpdated"]) == (10_000, 10_000, 0)
        assert first["streamResults"]["items"]["rowsSynced"] == 10_000
        rows = await edge.rows()
        assert sorted(int(r["data"]["id"]) for r in rows) == sorted(int(r["id"]) for r in edge.api.rows)

        seen = len(edge.api.requests)
        added = edge.api.add_rows(300)
        edge.api.touch([5, 6])
        second = await edge.finished(connection_id, await edge.trigger(connection_id))
        assert second["status"] == "COMPLETED", second
        fetched = run_requests(edge.api, seen)
        assert fetched and all("updated_since" in query for query in fetched)  # only rows from the cursor on
        # The boundary is inclusive: rows sharing the last cursor value come again, upserted by key, never doubled.
        assert second["rowsCreated"] == len(added)
        assert 2 <= second["rowsUpdated"] <= 2 + 2 * 2
        rows = await edge.rows()
        assert len(rows) == 10_300
        assert sorted(int(r["data"]["id"]) for r in rows) == sorted(int(r["id"]) for r in edge.api.rows)
        touched = {int(r["data"]["id"]): r["data"]["name"] for r in rows if int(r["data"]["id"]) in (5, 6)}
        assert touched == {int(r["id"]): r["name"] for r in edge.api.rows if int(r["id"]) in (5, 6)}

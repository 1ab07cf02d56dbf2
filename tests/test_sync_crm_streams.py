"""pipelines-api.txt's own examples on a `CRM_PLATFORM` connection: its provider (here the paged simulator as an
operator CRM provider shaped like Pipedrive: `deals`, `persons` alias `contacts`, `organizations` alias `companies`)
answers to the unified stream names, tables are named by the name asked for, and a name the provider has neither
as a stream nor as an alias is refused at once with 422, changing nothing."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from conftest import isolated_stack, start_connections, start_gateway, start_sync
from junction_common.mongo import create_client
from tests.simulators.paged_api import PagedApi, paged_api, provider
from tests.test_sync_runs import RunsEdge, admin_key, cdk_installed

pytestmark = pytest.mark.integration
Json = dict[str, Any]
CREATE_EXAMPLE = {  # pipelines-api.txt, "Create a Connection", as written (but for the simulator's key)
    "name": "Production CRM", "type": "CRM_PLATFORM", "credentials": {"apiKey": "your-api-key-here"},
    "schedule": {"enabled": True, "frequency": "daily"}, "notifyUserIds": ["cm...user1", "cm...user2"],
}


def write_crm_provider(folder: Path, api: PagedApi) -> None:
    """The simulator as a complete CRM_PLATFORM provider (the family's default: an operator's complete provider)."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = provider(api, "page", type_="sim_crm", page_size=50)
    item = manifest["streams"][0]
    manifest["streams"] = [{**item, "name": "deals"}, {**item, "name": "persons", "aliases": ["contacts"]},
                           {**item, "name": "organizations", "aliases": ["companies"]}]
    schema = {"type": "object", "properties": {"name": {"type": "string"}}}
    manifest["actions"] = [{"name": "create_person", "label": "Create person", "method": "POST", "path": "/items",
                            "input_schema": schema},
                           {"name": "create_deal", "label": "Create deal", "method": "POST", "path": "/items",
                            "input_schema": schema}]
    manifest["triggers"] = [{"name": "person.new", "label": "New person", "kind": "poll", "stream": "persons"}]
    manifest["connector_type"] = "CRM_PLATFORM"
    (folder / "sim_crm.yaml").write_text(yaml.safe_dump(manifest))


@contextlib.asynccontextmanager
async def crm_edge(tmp: Path, rows: int) -> AsyncIterator[RunsEdge]:
    await cdk_installed()
    async with isolated_stack() as stack, paged_api(rows, page_size=50) as api:
        write_crm_provider(tmp / "providers", api)
        connections = await start_connections(stack, provider_dirs=str(tmp / "providers"),
                                              provider_allow_networks="127.0.0.0/8")
        service = await start_sync(stack, run_lease_s=3.0, run_poll_s=0.2, scheduler_enabled=False)
        try:
            async with start_gateway(stack.gateway) as gateway, aiohttp.ClientSession() as http:
                key, workspace_id = await admin_key(stack)
                yield RunsEdge(gateway.url, http, stack, api, service, key, workspace_id)
        finally:
            await service.stop()
            await connections.stop()


async def table_slugs(edge: RunsEdge) -> set[str]:
    """The workspace's tables, as the sync service stores them."""
    client = create_client(edge.stack.sync)
    try:
        db = client[edge.stack.sync.db_name("sync")]
        return {d["slug"] async for d in db["sync_tables"].find({"workspace_id": edge.workspace_id})}
    finally:
        await client.close()


async def test_reference_examples_on_a_crm_platform_connection(tmp_path: Path) -> None:
    async with crm_edge(tmp_path, rows=60) as edge:
        body = {**CREATE_EXAMPLE, "credentials": {"apiKey": edge.api.api_key}}
        status, created = await edge.call("POST", "/api/pipelines/connections", body)
        assert status == 201, created
        cid = created["connection"]["id"]

        status, found = await edge.call("POST", f"/api/pipelines/connections/{cid}/discover")
        assert status == 200, found
        answers = {name: s["name"] for s in found["streams"] for name in (s["name"], *s["aliases"])}
        assert {"contacts", "deals"} <= set(answers)  # the reference's example streams, each a name or an alias
        assert answers["contacts"] == "persons" and answers["companies"] == "organizations"
        assert all(set(s["supportedSyncModes"]) <= {"full_refresh", "incremental"} for s in found["streams"])

        run_id = await edge.trigger(cid, {"streams": ["contacts", "deals"]})  # the Trigger Sync example
        run = await edge.finished(cid, run_id)
        assert run["status"] == "COMPLETED", run
        assert set(run["streamResults"]) == {"contacts", "deals"} and run["rowsSynced"] == 120, run
        assert await table_slugs(edge) == {"production_crm_contacts", "production_crm_deals"}

        status, refused = await edge.call("POST", f"/api/pipelines/connections/{cid}/runs",
                                          {"streams": ["contacts", "tickets"]})
        assert status == 422, refused
        assert refused["success"] is False and refused["code"] == "VALIDATION_ERROR", refused
        assert refused["details"][0]["pointer"] == "/streams/1" and refused["details"][0]["field"] == "streams"
        assert "tickets" in refused["message"]
        status, twice = await edge.call("POST", f"/api/pipelines/connections/{cid}/runs",
                                        {"streams": ["persons", "contacts"]})
        assert status == 422 and twice["details"][0]["pointer"] == "/streams/1", twice
        status, listed = await edge.call("GET", f"/api/pipelines/connections/{cid}/runs")
        assert status == 200 and [r["id"] for r in listed["runs"]] == [run_id], listed  # nothing was triggered

        again = await edge.finished(cid, await edge.trigger(cid, {"streams": ["companies"]}))
        assert again["status"] == "COMPLETED" and set(again["streamResults"]) == {"companies"}, again
        assert "production_crm_companies" in await table_slugs(edge)

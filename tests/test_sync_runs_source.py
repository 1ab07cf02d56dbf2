"""What a run may see and who may see runs: the connections service hands a connection's source and credentials
only to a SERVICE principal of that connection's workspace; another workspace's key reaches none of the runs,
cursors or triggers of a connection that is not its own; the credential a run used is stored nowhere in the sync
service."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest

from junction_common.identity import Principal
from junction_common.internal_auth import HEADER, sign
from junction_common.mongo import create_client
from junction_common.web.peers import service_principal
from tests.test_sync_runs import admin_key, runs_edge

pytestmark = pytest.mark.integration


async def test_a_connections_source_is_given_to_a_service_of_its_workspace_only(tmp_path: Path) -> None:
    async with runs_edge(tmp_path, rows=10, page_size=50) as edge:
        cid = await edge.connect()
        settings = edge.stack.connections
        path = f"/internal/runtime/connections/{cid}/source"

        async def ask(principal: Principal) -> tuple[int, dict[str, object]]:
            headers = {HEADER: sign(settings.internal_secret, "req_test", "GET", path, principal)}
            async with aiohttp.ClientSession() as http, http.get(
                    f"http://127.0.0.1:{settings.internal_port}{path}", headers=headers) as resp:
                return resp.status, await resp.json()

        admin = Principal(edge.workspace_id, "key_admin", "ADMIN", frozenset({"*"}))
        assert (await ask(admin))[0] == 403
        assert (await ask(service_principal("wrk_someone_else", "sync")))[0] == 404
        status, answer = await ask(service_principal(edge.workspace_id, "sync"))
        assert status == 200
        assert answer["config"] == {"apiKey": edge.api.api_key}
        assert answer["source"] == {"kind": "streams"} and answer["provider"]["type"] == "paged_sim"


async def test_another_workspace_reaches_none_of_a_connections_runs(tmp_path: Path) -> None:
    async with runs_edge(tmp_path, rows=10, page_size=50) as edge:
        cid = await edge.connect()
        run_id = await edge.trigger(cid)
        other, _ = await admin_key(edge.stack)
        base = f"/api/pipelines/connections/{cid}"
        for method, path, body in [("GET", f"{base}/runs", None), ("POST", f"{base}/runs", {}),
                                   ("POST", f"{base}/runs/{run_id}", None), ("POST", f"{base}/discover", None),
                                   ("PATCH", base, {"cursor": None}), ("GET", f"{base}/cursors", None),
                                   ("POST", f"/v1/integrations/{cid}/sync", None)]:
            status, answer = await edge.call(method, path, body, key=other)
            assert status == 404, (method, path, answer)
        status, enqueued = await edge.call("POST", "/api/pipelines/run-all", key=other)
        assert (status, enqueued["count"]) == (201, 0)
        assert (await edge.finished(cid, run_id))["status"] == "COMPLETED"
        # The credential the run used is in no document of the sync service's database.
        client = create_client(edge.stack.sync)
        try:
            db = client[edge.stack.sync.db_name("sync")]
            for name in await db.list_collection_names():
                async for doc in db[name].find():
                    assert edge.api.api_key not in json.dumps(doc, default=str), name
        finally:
            await client.close()

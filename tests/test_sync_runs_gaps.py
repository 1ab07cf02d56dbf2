"""The sync service's smaller gaps, through the gateway on the real stack: a failed run says the page it failed on;
a stream paused by the `pause` schema-change policy shows as paused in the run, the connection's stream status and
its table; "all members" notifications list the workspace's members at send time; and importTableRows takes a
`text/csv` body (that operation alone, size-limited) as well as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from junction_common.envelope import utcnow
from junction_common.identity import IdentityStore
from junction_common.mongo import create_client
from junction_common.testing.infra import eventually
from tests.test_sync_runs import RunsEdge, run_requests, runs_edge

pytestmark = pytest.mark.integration
Json = dict[str, Any]
SCOPES = ["pipelines:read", "pipelines:write", "pipelines:admin", "tables.view", "tables.write", "members:read",
          "members:write"]


async def wide_key(edge: RunsEdge) -> str:
    """An ADMIN key of the edge's workspace with the tables and members scopes too."""
    settings = edge.stack.gateway
    client = create_client(settings)
    try:
        store = IdentityStore(client[settings.db_name("identity")], settings.signing_secret)
        return await store.create_key(edge.workspace_id, "gaps", "ADMIN", SCOPES, utcnow())
    finally:
        await client.close()


async def test_a_failed_run_names_the_page_it_failed_on(tmp_path: Path) -> None:
    async with runs_edge(tmp_path, rows=300, page_size=50, delay_s=0.2) as edge:
        cid = await edge.connect()
        run_id = await edge.trigger(cid)

        async def two_pages() -> bool:
            return len(run_requests(edge.api, 0)) >= 2

        await eventually(two_pages, 60, 0.02)
        edge.api.api_key = "rotated-away"  # every page from now on answers 401
        run = await edge.finished(cid, run_id)
        assert run["status"] == "FAILED" and run["error"]["stream"] == "items", run
        page = run["error"]["page"]
        asked = [f"{r['path']}?page={r['page']}" for r in run_requests(edge.api, 0)]
        assert page is not None and page.split("&")[0] in asked[2:], (page, asked)  # a page after the key changed
        assert "rotated-away" not in str(run["error"]) and edge.api.api_key not in page


async def test_paused_stream_members_notice_and_csv_import(tmp_path: Path) -> None:
    async with runs_edge(tmp_path, rows=150, page_size=50, type_change_at=100,
                         sync_settings={"run_batch_rows": 50}) as edge:
        key = await wide_key(edge)
        status, added = await edge.call("POST", "/v1/members", {"email": "ana@acme.com", "role": "MEMBER"}, key)
        assert status == 201, added
        cid = await edge.connect("Paused CRM", config={"schemaChangePolicy": "pause"})
        run = await edge.finished(cid, await edge.trigger(cid))
        # The third page widens `score` from integer to string: a breaking change, held under `pause`.
        assert run["status"] == "COMPLETED" and run["pausedStreams"] == ["items"], run
        assert run["streamResults"]["items"]["paused"] is True
        status, shown = await edge.call("GET", f"/api/pipelines/connections/{cid}/streams")
        assert status == 200, shown
        assert shown["status"] == "PAUSED" and shown["pausedStreams"] == ["items"], shown
        assert shown["streams"][0]["table"] == "paused_crm_items" and shown["streams"][0]["pendingSchemaChange"]
        assert shown["lastRun"]["id"] == run["id"]
        status, table = await edge.call("GET", "/connect/v1/tables/paused_crm_items", key=key)
        assert status == 200 and table["data"]["status"] == "paused" and table["data"]["paused"] is True, table

        status, approved = await edge.call("POST", "/connect/v1/tables/paused_crm_items/schema/approve", {}, key)
        assert status == 200, approved
        status, shown = await edge.call("GET", f"/api/pipelines/connections/{cid}/streams")
        assert shown["status"] == "ACTIVE" and shown["streams"][0]["status"] == "ACTIVE", shown

        # No notifyUserIds: every member as the workspace has them when the notification is sent.
        status, members = await edge.call("GET", "/v1/members", key=key)
        assert status == 200, members
        member_ids = sorted(m["id"] for m in members["data"])
        assert added["data"]["id"] in member_ids

        async def noticed() -> list[Json] | None:
            _, found = await edge.call("GET", "/api/pipelines/notifications")
            return found["notifications"] or None

        notice = (await eventually(noticed, 30))[0]
        assert notice["allMembers"] is True and sorted(notice["recipients"]) == member_ids, notice

        await csv_import_through_the_gateway(edge, key)


async def csv_import_through_the_gateway(edge: RunsEdge, key: str) -> None:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}
    status, made = await edge.call("POST", "/connect/v1/tables", {"name": "People", "primaryKey": ["email"]}, key)
    assert status == 201, made
    text = "email,name,age\nana@acme.com,Ana,31\nbo@acme.com,Bo,not-a-number\n,Nobody,3\n"
    async with edge.http.post(f"{edge.url}/connect/v1/tables/people/import", data=text.encode(),
                              headers=headers) as resp:
        answer = await resp.json()
    assert resp.status == 200, answer
    assert answer["data"]["imported"] == 2 and answer["data"]["failed"] == 1, answer  # the row without its key
    assert answer["data"]["errors"][0]["row"] == 3
    status, wrapped = await edge.call("POST", "/connect/v1/tables/people/import",
                                      {"format": "csv", "csv": "email,name\ncy@acme.com,Cy\n"}, key)
    assert status == 200 and wrapped["data"]["created"] == 1, wrapped
    status, rows = await edge.call("GET", "/connect/v1/tables/people/rows?sort=email", key=key)
    assert [r["data"]["email"] for r in rows["data"]] == ["ana@acme.com", "bo@acme.com", "cy@acme.com"], rows

    # text/csv is for the import alone, and a body over the gateway's limit is refused whole.
    async with edge.http.post(f"{edge.url}/connect/v1/tables/people/rows", data=b"email\nx@acme.com\n",
                              headers=headers) as resp:
        assert resp.status == 415, await resp.text()
    huge = b"email,name\n" + b"".join(b"p%d@acme.com,%s\n" % (i, b"x" * 64) for i in range(20_000))
    async with edge.http.post(f"{edge.url}/connect/v1/tables/people/import", data=huge, headers=headers) as resp:
        assert resp.status == 413, await resp.text()
    status, rows = await edge.call("GET", "/connect/v1/tables/people/rows", key=key)
    assert len(rows["data"]) == 3

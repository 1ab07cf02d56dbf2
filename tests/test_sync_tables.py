"""connect-api.txt's tables through the gateway on the real stack: every operation at its documented path (the
reference gives paths and scopes, docs/sync.md the bodies), type inference and evolution, the pause policy and its
approval, CSV/JSON import with a per-row report, export, plan limits and workspace isolation."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from junction_common.envelope import EventEnvelope
from junction_common.projections.runner import ProjectionWriter
from junction_common.testing.infra import eventually
from sync.projections.tables import TABLES
from sync.tables.writer import TableWriter, table_target
from tests.api import bearer
from tests.sync_edge import SyncEdge, sync_edge

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(scope="module")
async def env() -> AsyncIterator[SyncEdge]:
    async with sync_edge("Tables") as edge:
        yield edge


async def test_every_table_operation_at_its_documented_path(env: SyncEdge) -> None:
    status, body = await env.call("POST", "/tables", {"name": "Leads", "primaryKey": ["email"],
                                                      "columns": [{"name": "email", "type": "string"}]})
    assert status == 201, body
    assert body["success"] is True and body["data"]["slug"] == "leads" and body["data"]["row_count"] == 0
    status, body = await env.call("GET", "/tables")
    assert status == 200 and [t["slug"] for t in body["data"]] == ["leads"]
    status, body = await env.call("PATCH", "/tables/leads", {"description": "Inbound leads"})
    assert status == 200 and body["data"]["description"] == "Inbound leads"
    status, body = await env.call("POST", "/tables/leads/rows", {"data": {"email": "a@x.io", "score": 3}})
    assert status == 201, body
    row_id = body["data"]["id"]
    assert body["data"]["data"] == {"email": "a@x.io", "score": 3}
    status, body = await env.call("POST", "/tables/leads/rows", {"data": {"email": "a@x.io"}})
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR"
    status, body = await env.call("POST", "/tables/leads/rows", {"data": {"email": "c@x.io", "a.b": 1}})
    assert status == 422 and body["error"]["details"]["column"] == "a.b"
    status, body = await env.call("POST", "/tables/leads/rows/upsert",
                                  {"rows": [{"email": "a@x.io", "score": 5}, {"email": "b@x.io", "score": 1}]})
    assert status == 200 and (body["data"]["created"], body["data"]["updated"]) == (1, 1)
    status, body = await env.call("GET", "/tables/leads/rows/lookup?value=a@x.io")
    assert status == 200 and [r["data"]["score"] for r in body["data"]] == [5]
    status, body = await env.call("GET", "/tables/leads/rows/lookup?column=score&value=1")
    assert status == 200 and [r["data"]["email"] for r in body["data"]] == ["b@x.io"]
    status, body = await env.call("PATCH", f"/tables/leads/rows/{row_id}", {"data": {"score": 9}})
    assert status == 200 and body["data"]["data"] == {"email": "a@x.io", "score": 9}
    status, body = await env.call("GET", "/tables/leads")
    assert status == 200 and body["data"]["row_count"] == 2
    assert [c["name"] for c in body["data"]["columns"]] == ["email", "score"]
    status, body = await env.call("DELETE", f"/tables/leads/rows/{row_id}")
    assert status == 200 and body["data"]["deleted"] is True
    status, body = await env.call("GET", "/tables/leads/rows/lookup?value=a@x.io")
    assert body["data"] == []
    status, body = await env.call("DELETE", "/tables/leads")
    assert status == 200
    status, body = await env.call("GET", "/tables/leads")
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"


async def test_rows_filter_sort_and_page(env: SyncEdge) -> None:
    await env.call("POST", "/tables", {"name": "Deals", "primaryKey": ["id"]})
    rows = [{"id": i, "stage": "won" if i % 3 == 0 else "open", "amount": i * 10, "title": f"Deal {i}"}
            for i in range(1, 31)]
    status, body = await env.call("POST", "/tables/deals/rows/upsert", {"rows": rows})
    assert status == 200 and body["data"]["created"] == 30
    status, body = await env.call("GET", "/tables/deals/rows?filter=stage:eq:won&filter=amount:gte:100"
                                         "&sort=-amount&limit=3&offset=1")
    assert status == 200, body
    assert [r["data"]["id"] for r in body["data"]] == [27, 24, 21]
    assert body["meta"]["pagination"] == {"limit": 3, "offset": 1, "total": 7, "hasMore": True}
    status, body = await env.call("GET", "/tables/deals/rows?search=deal%202&sort=id")
    assert [r["data"]["id"] for r in body["data"]] == [2, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29]
    status, body = await env.call("GET", "/tables/deals/rows?filter=nope:eq:1")
    assert status == 422 and body["error"]["details"]["column"] == "nope"


async def test_types_are_inferred_and_widened_with_each_change_listed(env: SyncEdge) -> None:
    await env.call("POST", "/tables", {"name": "Metrics", "primaryKey": ["id"]})
    for value in (1, 2.5, "n/a"):
        status, body = await env.call("POST", "/tables/metrics/rows/upsert", {"data": {"id": str(value),
                                                                                     "value": value}})
        assert status == 200, body
    await env.call("POST", "/tables/metrics/rows/upsert", {"data": {"id": "x", "when": "2026-02-11",
                                                                   "flag": True, "tags": ["a"], "meta": {"k": 1}}})
    status, body = await env.call("GET", "/tables/metrics")
    types = {c["name"]: c["type"] for c in body["data"]["columns"]}
    assert types == {"id": "string", "value": "string", "when": "date", "flag": "boolean", "tags": "array",
                     "meta": "object"}
    history = [(c["change"], c["column"], c.get("previous_type"), c["type"])
               for change in body["data"]["schema_changes"] for c in change["changes"]]
    assert ("widened", "value", "integer", "number") in history
    assert ("widened", "value", "number", "string") in history
    assert ("added", "when", None, "date") in history
    status, body = await env.call("GET", "/tables/metrics/rows?sort=id")
    assert [r["data"].get("value") for r in body["data"]] == ["1", "2.5", "n/a", None]
    status, body = await env.call("PATCH", "/tables/metrics", {"columns": [{"name": "flag", "type": "string"}]})
    assert status == 200 and {c["name"]: c["type"] for c in body["data"]["columns"]}["flag"] == "string"
    status, body = await env.call("GET", "/tables/metrics/rows/lookup?value=x")
    assert body["data"][0]["data"]["flag"] == "true"  # re-projected into the wider type
    status, body = await env.call("PATCH", "/tables/metrics", {"columns": [{"name": "flag", "type": "integer"}]})
    assert status == 422 and body["error"]["details"]["column"] == "flag"


async def test_a_breaking_change_pauses_the_table_until_approved(env: SyncEdge) -> None:
    writer = env.sync.component(TableWriter)
    target = table_target({"id": "conn_p", "name": "Support (EU)", "variantLabel": "EU",
                           "config": {"schemaChangePolicy": "pause"}}, "tickets")
    await writer.write_batch(env.workspace_id, target, [{"id": 1, "priority": 1}], run_id="run_1",
                             stream="tickets", primary_key=["id"])
    held = await writer.write_batch(env.workspace_id, target, [{"id": 2, "priority": "high", "sla": 4}],
                                    run_id="run_2", stream="tickets", primary_key=["id"])
    assert held.paused

    async def shown_paused() -> bool:
        status, body = await env.call("GET", f"/tables/{target.slug}")
        return status == 200 and body["data"]["paused"] is True

    await eventually(shown_paused, 20)
    status, body = await env.call("GET", f"/tables/{target.slug}")
    assert body["data"]["pending_schema_change"]["changes"] == [
        {"column": "priority", "change": "widened", "type": "string", "previous_type": "integer"}]
    status, body = await env.call("POST", f"/tables/{target.slug}/rows", {"data": {"id": 3}})
    assert status == 422 and "approval" in body["error"]["message"]
    status, body = await env.call("POST", f"/tables/{target.slug}/schema/approve")
    assert status == 200, body
    assert body["data"]["paused"] is False and body["data"]["row_count"] == 2
    status, body = await env.call("GET", f"/tables/{target.slug}/rows?sort=id")
    assert [r["data"] for r in body["data"]] == [{"id": 1, "priority": "1"}, {"id": 2, "priority": "high", "sla": 4}]
    status, body = await env.call("POST", f"/tables/{target.slug}/schema/approve")
    assert status == 422


async def test_import_reports_each_failed_row_and_export_gives_them_back(env: SyncEdge) -> None:
    await env.call("POST", "/tables", {"name": "People", "primaryKey": ["id"],
                                       "columns": [{"name": "id", "type": "integer"},
                                                   {"name": "age", "type": "integer"}]})
    text = "id,name,age\n1,Ann,30\n2,Bob,abc\n,Cy,20\n4,Dee,41\n"
    status, body = await env.call("POST", "/tables/people/import", {"format": "csv", "csv": text})
    assert status == 200, body
    report = body["data"]
    assert (report["imported"], report["created"], report["failed"]) == (2, 2, 2)
    assert [e["row"] for e in report["errors"]] == [2, 3]
    status, body = await env.call("POST", "/tables/people/import", {"rows": [{"id": 4, "name": "Dee", "age": 42},
                                                                          "bad"]})
    assert status == 200 and (body["data"]["updated"], body["data"]["failed"]) == (1, 1)
    async with env.http.get(env.url + "/tables/people/export", headers=bearer(env.key)) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/csv")
        exported = list(csv.DictReader(io.StringIO(await resp.text())))
    assert exported == [{"id": "1", "age": "30", "name": "Ann"}, {"id": "4", "age": "42", "name": "Dee"}]
    status, body = await env.call("GET", "/tables/people/export?format=json")
    assert status == 200 and [r["name"] for r in body["data"]["rows"]] == ["Ann", "Dee"]


async def test_plan_limits_refuse_with_the_limit_named(env: SyncEdge) -> None:
    for i in range(10):
        status, body = await env.call("POST", "/tables", {"name": f"T{i}"}, key=env.free)
        assert status == 201, body
    status, body = await env.call("POST", "/tables", {"name": "T10"}, key=env.free)
    assert status == 403 and body["error"]["code"] == "FORBIDDEN"
    assert body["error"]["details"]["limit"] == "tables_per_workspace" and body["error"]["details"]["max"] == 10
    rows = [{"id": i} for i in range(10_001)]
    await env.call("PATCH", "/tables/t0", {"schemaPolicy": "propagate"}, key=env.free)
    status, body = await env.call("POST", "/tables/t0/import", {"rows": rows}, key=env.free)
    assert status == 403 and body["error"]["details"]["limit"] == "rows_per_table", body
    status, body = await env.call("GET", "/tables/t0", key=env.free)
    assert body["data"]["row_count"] == 0


async def test_a_workspace_sees_and_changes_only_its_own_tables(env: SyncEdge) -> None:
    await env.call("POST", "/tables", {"name": "Secrets", "primaryKey": ["id"]})
    status, body = await env.call("POST", "/tables/secrets/rows", {"data": {"id": 1, "v": "mine"}})
    row_id = body["data"]["id"]
    for method, path, payload in [("GET", "/tables/secrets", None), ("GET", "/tables/secrets/rows", None),
                                  ("PATCH", "/tables/secrets", {"name": "x"}), ("DELETE", "/tables/secrets", None),
                                  ("PATCH", f"/tables/secrets/rows/{row_id}", {"data": {"v": "theirs"}}),
                                  ("GET", "/tables/secrets/export", None)]:
        status, body = await env.call(method, path, payload, key=env.other)
        assert status == 404, (method, path, body)
    status, body = await env.call("GET", "/tables", key=env.other)
    assert "secrets" not in [t["slug"] for t in body["data"]]
    status, body = await env.call("GET", "/tables/secrets/rows")
    assert [r["data"]["v"] for r in body["data"]] == ["mine"]


async def test_the_tables_read_model_rebuilt_from_its_events_is_identical(env: SyncEdge) -> None:
    """Every table this module made (created, evolved, held, approved, updated, deleted) folded again from the
    event store into a new collection gives the live documents, document by document."""
    await env.call("POST", "/tables", {"name": "Rebuilt", "primaryKey": ["id"]})
    await env.call("POST", "/tables/rebuilt/rows/upsert", {"rows": [{"id": 1, "n": 1}, {"id": 2, "n": "x"}]})
    live = env.sync.db["sync_tables"]
    ids = [d["_id"] async for d in live.find({}, {"_id": 1})]
    stored = env.sync.db["event_commits"].find({"stream_id": {"$in": ids}}).sort([("stream_id", 1),
                                                                                   ("base_version", 1)])
    events = [EventEnvelope.model_validate(e) async for commit in stored for e in commit["events"]]
    writer = ProjectionWriter(TABLES, env.sync.db, "sync_tables_rebuilt")
    for event in events:
        await writer.handle(event)
    rebuilt = {d["_id"]: d async for d in env.sync.db["sync_tables_rebuilt"].find()}
    assert len(rebuilt) == len(ids) > 5
    assert {d["_id"]: d async for d in live.find()} == rebuilt

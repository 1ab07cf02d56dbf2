"""BI queries and exports: computed over the CRM read models of the caller's workspace only (group by, filters,
count/sum/avg/min/max), refused in the error shape when a field or aggregation does not fit, and exported as CSV
files behind signed, expiring download URLs."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import create_workspace
from crm.bi import exports as bi_exports
from crm.bi import plan as bi_plan
from crm.bi.sweeper import BiExports
from crm_contracts.bi import QueryRun
from junction_common.envelope import utcnow
from junction_common.identity import IdentityStore
from junction_common.mongo import create_client
from junction_common.web.envelope import ApiError
from tests.api import bearer, call, ids
from tests.test_crm_bi import DEALS, assert_invalid, seed_deals

pytestmark = pytest.mark.integration


async def run(http, base: str, key: str, query: dict) -> tuple[int, dict]:
    return await call(http, "POST", f"{base}/v1/bi/queries/run", key, query)


async def test_queries_run_computes_over_the_workspace_records(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    await seed_deals(http, base, key)
    aggs = [
        {"aggregation": "count"},
        {"aggregation": "sum", "field": "amount_cents", "alias": "total"},
        {"aggregation": "avg", "field": "amount_cents"},
        {"aggregation": "min", "field": "amount_cents"},
        {"aggregation": "max", "field": "amount_cents"},
        {"aggregation": "count", "field": "amount_cents"},
    ]
    status, body = await run(http, base, key, {"source": "deals", "group_by": ["stage"], "aggregations": aggs})
    assert status == 200, body
    data = body["data"]
    assert data["columns"] == [
        "stage",
        "count",
        "total",
        "avg_amount_cents",
        "min_amount_cents",
        "max_amount_cents",
        "count_amount_cents",
    ]
    by_stage = {row["stage"]: row for row in data["rows"]}
    for stage, amounts in DEALS.items():
        known = [a for a in amounts if a is not None]
        row = by_stage[stage]
        assert row["count"] == len(amounts) and row["count_amount_cents"] == len(known), row
        assert row["total"] == (sum(known) if known else None)
        assert row["avg_amount_cents"] == (sum(known) / len(known) if known else None)
        assert (row["min_amount_cents"], row["max_amount_cents"]) == (
            (min(known), max(known)) if known else (None, None)
        )
    assert [r["stage"] for r in data["rows"]] == sorted(DEALS)  # grouped rows come ordered by their groups

    status, body = await run(
        http,
        base,
        key,
        {
            "source": "deals",
            "filters": [
                {"field": "amount_cents", "op": "gte", "value": 500},
                {"field": "stage", "op": "in", "value": ["won", "qualified"]},
            ],
            "aggregations": [{"aggregation": "count"}, {"aggregation": "sum", "field": "amount_cents"}],
        },
    )
    assert status == 200 and body["data"]["rows"] == [{"count": 3, "sum_amount_cents": 3500}], body
    status, body = await run(
        http,
        base,
        key,
        {
            "source": "deals",
            "filters": [{"field": "stage", "value": "won"}],
            "fields": ["name", "amount_cents"],
            "order_by": [{"field": "amount_cents", "direction": "desc"}],
            "limit": 2,
        },
    )
    assert status == 200, body
    assert body["data"]["rows"] == [{"name": "won 1", "amount_cents": 2000}, {"name": "won 0", "amount_cents": 1000}]
    assert body["data"]["row_count"] == 3 and body["data"]["truncated"] is True

    # Saved objects: a view dataset (only won deals), a metric over it, a mock dataset.
    _, ds = await call(
        http,
        "POST",
        f"{base}/v1/bi/datasets",
        key,
        {"name": "Won", "kind": "view", "source": "deals", "filters": [{"field": "stage", "value": "won"}]},
    )
    status, body = await run(
        http, base, key, {"dataset_id": ds["data"]["id"], "aggregations": [{"aggregation": "count"}]}
    )
    assert status == 200 and body["data"]["rows"] == [{"count": 3}], body
    _, all_deals = await call(
        http, "POST", f"{base}/v1/bi/datasets", key, {"name": "D", "kind": "table", "source": "deals"}
    )
    _, metric = await call(
        http,
        "POST",
        f"{base}/v1/bi/metrics",
        key,
        {
            "name": "Avg",
            "dataset_id": all_deals["data"]["id"],
            "aggregation": "avg",
            "field": "amount_cents",
            "filters": [{"field": "stage", "op": "ne", "value": "open"}],
        },
    )
    status, body = await run(http, base, key, {"metric_id": metric["data"]["id"], "group_by": ["stage"]})
    assert status == 200, body
    assert body["data"]["rows"] == [{"stage": "qualified", "value": 200}, {"stage": "won", "value": 3500 / 3}]
    _, mock = await call(
        http,
        "POST",
        f"{base}/v1/bi/datasets",
        key,
        {
            "name": "M",
            "kind": "mock",
            "rows": [
                {"region": "emea", "target": 10},
                {"region": "emea", "target": 5},
                {"region": "amer", "target": 20},
            ],
        },
    )
    status, body = await run(
        http,
        base,
        key,
        {
            "dataset_id": mock["data"]["id"],
            "group_by": ["region"],
            "aggregations": [{"aggregation": "sum", "field": "target"}],
            "order_by": [{"field": "sum_target", "direction": "desc"}],
        },
    )
    assert body["data"]["rows"] == [{"region": "amer", "sum_target": 20}, {"region": "emea", "sum_target": 15}]

    for bad, pointer in (
        ({"source": "deals", "group_by": ["colour"]}, "/group_by/0"),
        ({"source": "deals", "aggregations": [{"aggregation": "sum", "field": "stage"}]}, "/aggregations/0/field"),
        ({"source": "deals", "filters": [{"field": "nope", "value": 1}]}, "/filters/0/field"),
        ({"source": "widgets"}, "/source"),
        ({"source": "deals", "aggregations": [{"aggregation": "median", "field": "amount_cents"}]}, None),
        ({"source": "deals", "dataset_id": ds["data"]["id"]}, None),
    ):
        assert_invalid(*await run(http, base, key, bad), pointer)

    _, other = await create_workspace(gateway.settings, "Other", "business")
    status, body = await run(http, base, other, {"source": "deals", "aggregations": [{"aggregation": "count"}]})
    assert status == 200 and body["data"]["rows"] == [{"count": 0}], body
    for saved in ({"dataset_id": ds["data"]["id"]}, {"metric_id": metric["data"]["id"]}):
        status, body = await run(http, base, other, saved)
        assert status == 404 and body["error"]["code"] == "NOT_FOUND", body


async def test_export_produces_a_signed_downloadable_csv(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    await seed_deals(http, base, key)
    query = {
        "source": "deals",
        "group_by": ["stage"],
        "aggregations": [{"aggregation": "sum", "field": "amount_cents", "alias": "total"}],
    }
    status, body = await call(
        http,
        "POST",
        f"{base}/v1/bi/exports",
        key,
        {"name": "pipeline", "query": query},
        {"Idempotency-Key": "export-1"},
    )
    assert status == 201 and body["data"]["status"] == "completed", body
    export = body["data"]
    assert export["id"].startswith("exp_") and export["row_count"] == 3 and export["columns"] == ["stage", "total"]
    async with http.get(export["download_url"]) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/csv")
        text = await resp.text()
    assert list(csv.reader(io.StringIO(text))) == [
        ["stage", "total"],
        ["open", ""],
        ["qualified", "400"],
        ["won", "3500"],
    ]
    assert export["byte_size"] == len(text.encode())
    status, again = await call(
        http,
        "POST",
        f"{base}/v1/bi/exports",
        key,
        {"name": "pipeline", "query": query},
        {"Idempotency-Key": "export-1"},
    )
    assert status == 201 and again["data"]["id"] == export["id"] and again["data"]["status"] == "completed"
    async with http.get(export["download_url"].replace("sig=", "sig=x")) as resp:
        assert resp.status == 403

    _, ds = await call(
        http,
        "POST",
        f"{base}/v1/bi/datasets",
        key,
        {
            "name": "Won",
            "kind": "view",
            "source": "deals",
            "fields": ["name", "amount_cents"],
            "filters": [{"field": "stage", "value": "won"}],
        },
    )
    status, body = await call(http, "POST", f"{base}/v1/bi/exports", key, {"dataset_id": ds["data"]["id"]})
    assert status == 201 and body["data"]["row_count"] == 3, body
    async with http.get(body["data"]["download_url"]) as resp:
        rows = list(csv.DictReader(io.StringIO(await resp.text())))
    assert sorted(int(r["amount_cents"]) for r in rows) == [500, 1000, 2000] and set(rows[0]) == {
        "name",
        "amount_cents",
    }

    status, body = await call(http, "GET", f"{base}/v1/bi/exports", key)
    assert status == 200 and len(body["data"]) == 2 and all(e["download_url"] for e in body["data"]), body
    assert_invalid(
        *await call(http, "POST", f"{base}/v1/bi/exports", key, {"query": {"source": "deals", "group_by": ["colour"]}}),
        "/group_by/0",
    )
    status, body = await call(http, "POST", f"{base}/v1/bi/exports", key, {"dataset_id": "ds_missing"})
    assert status == 422 and body["error"]["details"]["pointer"] == "/dataset_id", body  # an id in a body
    assert len(await ids(http, f"{base}/v1/bi/exports", key)) == 2  # refused exports created nothing
    _, other = await create_workspace(gateway.settings, "Other", "business")
    status, body = await call(http, "POST", f"{base}/v1/bi/exports", other, {"dataset_id": ds["data"]["id"]})
    assert status == 422 and body["error"]["details"]["pointer"] == "/dataset_id", body
    async with http.get(f"{base}/v1/bi/exports", headers=bearer(other)) as resp:
        assert (await resp.json())["data"] == []


async def scoped_key(settings, workspace_id: str, scopes: list[str]) -> str:
    client = create_client(settings)
    try:
        store = IdentityStore(client[settings.db_name("identity")], settings.signing_secret)
        return await store.create_key(workspace_id, "bi only", "MEMBER", scopes, utcnow())
    finally:
        await client.close()


class GenerationStopped(RuntimeError):
    """Stands for a crm that stops after generating the export's file, before recording its outcome."""


async def stopping_record(*_: object) -> None:
    raise GenerationStopped


async def test_a_source_needs_its_read_scope_besides_the_bi_scope(gateway, crm_service, workspace, http):
    workspace_id, key = workspace
    base = gateway.url
    await seed_deals(http, base, key)
    bi_only = await scoped_key(gateway.settings, workspace_id, ["bi:read", "bi:write"])
    with_crm = await scoped_key(gateway.settings, workspace_id, ["bi:read", "bi:write", "crm:read"])
    _, ds = await call(http, "POST", f"{base}/v1/bi/datasets", key, {"name": "D", "kind": "table", "source": "deals"})
    _, mock = await call(http, "POST", f"{base}/v1/bi/datasets", key, {"name": "M", "kind": "mock", "rows": [{"a": 1}]})
    _, done = await call(http, "POST", f"{base}/v1/bi/exports", key, {"dataset_id": ds["data"]["id"]})
    assert done["data"]["status"] == "completed", done
    refused = (
        ("/v1/bi/queries/run", {"source": "contacts"}, "crm:read"),
        ("/v1/bi/queries/run", {"source": "tickets"}, "support:read"),
        ("/v1/bi/queries/run", {"dataset_id": ds["data"]["id"]}, "crm:read"),
        ("/v1/bi/exports", {"query": {"source": "tasks"}}, "tasks:read"),
        ("/v1/bi/exports", {"dataset_id": ds["data"]["id"]}, "crm:read"),
        ("/v1/bi/datasets", {"name": "x", "kind": "table", "source": "deals"}, "crm:read"),
        ("/v1/bi/metrics", {"name": "x", "dataset_id": ds["data"]["id"], "aggregation": "count"}, "crm:read"),
    )
    for path, payload, scope in refused:
        status, body = await call(http, "POST", f"{base}{path}", bi_only, payload)
        assert status == 403 and body["error"]["code"] == "FORBIDDEN", (path, body)
        assert body["error"]["details"]["required_scope"] == scope, (path, body)
    status, body = await run(http, base, bi_only, {"dataset_id": mock["data"]["id"]})
    assert status == 200 and body["data"]["rows"] == [{"a": 1}], body  # inline rows need no other scope
    status, body = await run(http, base, with_crm, {"source": "deals", "aggregations": [{"aggregation": "count"}]})
    assert status == 200 and body["data"]["rows"] == [{"count": 6}], body
    status, body = await call(http, "GET", f"{base}/v1/bi/exports", bi_only)
    assert status == 200 and "download_url" not in body["data"][0], body  # no CRM scope, no file
    status, body = await call(http, "GET", f"{base}/v1/bi/exports", with_crm)
    assert body["data"][0]["download_url"], body


async def test_a_report_export_has_every_row_unless_its_query_sets_limit(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    _, mock = await call(http, "POST", f"{base}/v1/bi/datasets", key,
                         {"name": "M", "kind": "mock", "rows": [{"n": i} for i in range(150)]})
    reports = {}
    for name, query in (("all", {"fields": ["n"]}), ("ten", {"fields": ["n"], "limit": 10})):
        status, body = await call(http, "POST", f"{base}/v1/bi/reports", key,
                                  {"name": name, "dataset_id": mock["data"]["id"], "query": query})
        assert status == 201 and body["data"]["query"] == query, body
        reports[name] = body["data"]["id"]
    for name, rows in (("all", 150), ("ten", 10)):
        status, body = await call(http, "POST", f"{base}/v1/bi/exports", key, {"report_id": reports[name]})
        assert status == 201 and body["data"]["row_count"] == rows, body


async def test_a_scan_reads_only_the_fields_it_needs_and_stops_past_the_limit(gateway, crm_service, workspace, http):
    workspace_id, key = workspace
    await seed_deals(http, gateway.url, key)
    db = create_client(gateway.settings)[gateway.settings.db_name("crm")]
    query = QueryRun.model_validate({"source": "deals", "group_by": ["stage"]})
    resolved = await bi_plan.plan(db, workspace_id, query)
    rows = await bi_plan.rows_of(db, workspace_id, resolved)
    assert len(rows) == 6 and all(set(r) <= {"stage"} for r in rows), rows
    with pytest.raises(ApiError) as refused:
        await bi_plan.rows_of(db, workspace_id, resolved, scan_limit=5)
    assert refused.value.code == "VALIDATION_ERROR"


async def test_an_export_left_pending_is_finished_by_a_retry_or_the_sweeper(gateway, crm_service, workspace, http,
                                                                            monkeypatch):
    _, key = workspace
    base = gateway.url
    await seed_deals(http, base, key)
    payload = {"name": "stages", "query": {"source": "deals", "group_by": ["stage"]}}
    retry, close = {"Idempotency-Key": "export-stuck"}, {"Connection": "close"}  # a 500 ends its connection
    with monkeypatch.context() as patched:
        patched.setattr(bi_exports, "_record", stopping_record)
        status, _ = await call(http, "POST", f"{base}/v1/bi/exports", key, payload, {**retry, **close})
        assert status == 500
        status, _ = await call(http, "POST", f"{base}/v1/bi/exports", key, payload, close)
        assert status == 500
    pending = await ids(http, f"{base}/v1/bi/exports", key)
    status, body = await call(http, "POST", f"{base}/v1/bi/exports", key, payload, retry)
    assert status == 201 and body["data"]["status"] == "completed" and body["data"]["row_count"] == 3, body
    async with http.get(body["data"]["download_url"]) as resp:
        assert resp.status == 200 and (await resp.text()).startswith("stage,count")
    stuck = [i for i in pending if i != body["data"]["id"]]
    assert len(stuck) == 1
    sweeper = crm_service.component(BiExports)
    stale_s = sweeper.settings.bi_export_stale_s
    assert await sweeper.sweep(utcnow()) == 0  # not stale yet
    assert await sweeper.sweep(utcnow() + timedelta(seconds=stale_s + 1)) == 1
    _, listed = await call(http, "GET", f"{base}/v1/bi/exports", key)
    assert {e["id"]: e["status"] for e in listed["data"]} == dict.fromkeys(pending, "completed"), listed

    def broken(*_: object) -> None:
        raise ZeroDivisionError

    monkeypatch.setattr(bi_plan, "compute", broken)
    status, body = await call(http, "POST", f"{base}/v1/bi/exports", key, payload)
    assert status == 201 and body["data"]["status"] == "failed", body
    assert body["data"]["error"]["code"] == "INTERNAL_ERROR", body


async def test_every_answer_signs_a_fresh_download_url(gateway, crm_service, workspace, http, monkeypatch):
    _, key = workspace
    base = gateway.url
    await seed_deals(http, base, key)
    payload, retry = {"query": {"source": "deals", "fields": ["name"]}}, {"Idempotency-Key": "export-fresh"}
    status, first = await call(http, "POST", f"{base}/v1/bi/exports", key, payload, retry)
    assert status == 201 and first["data"]["download_expires_in"] == bi_exports.URL_TTL_S, first
    monkeypatch.setattr(bi_exports, "URL_TTL_S", 5)
    async with http.post(f"{base}/v1/bi/exports", json=payload, headers={**bearer(key), **retry}) as resp:
        assert resp.status == 201 and resp.headers["Idempotent-Replayed"] == "true"
        again = (await resp.json())["data"]
    assert again["id"] == first["data"]["id"] and again["download_expires_in"] == 5, again
    expires = int(parse_qs(urlsplit(again["download_url"]).query)["expires"][0])
    assert expires <= utcnow().timestamp() + 10

"""BI queries and exports: computed over the CRM read models of the caller's workspace only (group by, filters,
count/sum/avg/min/max), refused in the error shape when a field or aggregation does not fit, and exported as CSV
files behind signed, expiring download URLs."""

from __future__ import annotations

import csv
import io

import pytest

from conftest import create_workspace
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
    assert status == 404
    assert len(await ids(http, f"{base}/v1/bi/exports", key)) == 2  # refused exports created nothing
    _, other = await create_workspace(gateway.settings, "Other", "business")
    status, body = await call(http, "POST", f"{base}/v1/bi/exports", other, {"dataset_id": ds["data"]["id"]})
    assert status == 404
    async with http.get(f"{base}/v1/bi/exports", headers=bearer(other)) as resp:
        assert (await resp.json())["data"] == []

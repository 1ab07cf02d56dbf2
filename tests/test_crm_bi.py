"""BI objects through the gateway on real Kafka and the MongoDB-protocol server: datasets, metrics, reports and
dashboards with their rules and filters; cron schedules; metadata PATCH and archiving of any BI object; events
and replay. Queries and exports: tests/test_crm_bi_queries.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conftest import create_workspace
from crm.domain.pipeline import DEFAULT_STAGES
from junction_common.projections.rebuild import registered_projections
from tests.api import call, ids
from tests.test_replay_rebuild import run_cli
from webhooks_contracts.catalogue import event_catalogue

pytestmark = pytest.mark.integration

# stage -> amounts (cents); one open deal has no amount.
DEALS = {"qualified": [100, 300], "won": [1000, 2000, 500], "open": [None]}
DEFAULT_KEYS = {stage.key for stage in DEFAULT_STAGES}


async def seed_deals(http, base: str, key: str) -> None:
    for position, stage in enumerate(DEALS):
        if stage not in DEFAULT_KEYS:  # a new workspace has the default pipeline's stages (`qualified`)
            status, body = await call(
                http, "POST", f"{base}/v1/deal-stages", key, {"key": stage, "name": stage.title(), "position": position}
            )
            assert status == 201, body
        for i, amount in enumerate(DEALS[stage]):
            deal = {"name": f"{stage} {i}", "stage": stage, **({"amount_cents": amount} if amount else {})}
            status, body = await call(http, "POST", f"{base}/v1/deals", key, deal)
            assert status == 201, body


def assert_invalid(status: int, body: dict, pointer: str | None = None) -> None:
    assert status == 422 and body["success"] is False and body["error"]["code"] == "VALIDATION_ERROR", body
    assert set(body["error"]) == {"code", "message", "details"} and body["error"]["message"]
    if pointer is not None:
        assert body["error"]["details"]["pointer"] == pointer, body


async def test_datasets_metrics_reports_dashboards_rules_and_filters(gateway, crm_service, workspace, http):
    _, key = workspace
    bi = f"{gateway.url}/v1/bi"
    status, body = await call(
        http,
        "POST",
        f"{bi}/datasets",
        key,
        {"name": "Deals", "description": "All deals", "kind": "table", "source": "deals"},
    )
    assert status == 201 and body["data"]["id"].startswith("ds_") and body["data"]["status"] == "draft", body
    deals_ds = body["data"]["id"]
    status, body = await call(
        http,
        "POST",
        f"{bi}/datasets",
        key,
        {
            "name": "Targets",
            "kind": "mock",
            "status": "active",
            "rows": [{"region": "emea", "target": 10}, {"region": "amer", "target": 20}],
        },
    )
    assert status == 201, body
    mock_ds = body["data"]["id"]
    assert_invalid(*await call(http, "POST", f"{bi}/datasets", key, {"name": "x", "kind": "cube", "source": "deals"}))
    assert_invalid(
        *await call(http, "POST", f"{bi}/datasets", key, {"name": "x", "kind": "table", "source": "widgets"}), "/source"
    )
    # A sync table is a source (its columns are checked when a query reads them: tests/test_sync_tables_bi.py);
    # a malformed one is refused.
    status, body = await call(
        http, "POST", f"{bi}/datasets", key, {"name": "x", "kind": "table", "source": "sync.orders-2"}
    )
    assert_invalid(status, body, "/source")
    assert "sync" in body["error"]["message"].lower()
    assert_invalid(
        *await call(
            http,
            "POST",
            f"{bi}/datasets",
            key,
            {"name": "x", "kind": "view", "source": "deals", "filters": [{"field": "colour", "value": "red"}]},
        ),
        "/filters/0/field",
    )
    assert_invalid(*await call(http, "POST", f"{bi}/datasets", key, {"name": "x", "kind": "mock"}))

    assert await ids(http, f"{bi}/datasets?kind=mock", key) == [mock_ds]
    assert await ids(http, f"{bi}/datasets?status=draft", key) == [deals_ds]
    assert await ids(http, f"{bi}/datasets?query=all%20deals", key) == [deals_ds]
    assert_invalid(*await call(http, "GET", f"{bi}/datasets?kind=cube", key))

    metric = {"name": "Pipeline", "dataset_id": deals_ds, "aggregation": "sum", "field": "amount_cents"}
    status, body = await call(http, "POST", f"{bi}/metrics", key, metric)
    assert status == 201 and body["data"]["id"].startswith("met_"), body
    metric_id = body["data"]["id"]
    assert_invalid(*await call(http, "POST", f"{bi}/metrics", key, {**metric, "field": "nope"}), "/field")
    assert_invalid(
        *await call(http, "POST", f"{bi}/metrics", key, {**metric, "aggregation": "avg", "field": "stage"}), "/field"
    )
    assert_invalid(*await call(http, "POST", f"{bi}/metrics", key, {**metric, "aggregation": "median"}))
    assert_invalid(
        *await call(http, "POST", f"{bi}/metrics", key, {**metric, "dataset_id": "ds_missing"}), "/dataset_id"
    )
    assert await ids(http, f"{bi}/metrics?dataset_id={deals_ds}", key) == [metric_id]

    report = {
        "name": "By stage",
        "dataset_id": deals_ds,
        "metric_ids": [metric_id],
        "visualization": "bar",
        "query": {"group_by": ["stage"], "aggregations": [{"aggregation": "count"}]},
    }
    status, body = await call(http, "POST", f"{bi}/reports", key, report)
    assert status == 201 and body["data"]["visualization"] == "bar", body
    report_id = body["data"]["id"]
    assert_invalid(
        *await call(http, "POST", f"{bi}/reports", key, {**report, "metric_ids": ["met_gone"]}), "/metric_ids/0"
    )
    assert_invalid(
        *await call(http, "POST", f"{bi}/reports", key, {**report, "query": {"group_by": ["colour"]}}),
        "/query/group_by/0",
    )
    status, body = await call(
        http, "POST", f"{bi}/dashboards", key, {"name": "Sales", "report_ids": [report_id], "metric_ids": [metric_id]}
    )
    assert status == 201, body
    dashboard_id = body["data"]["id"]
    assert_invalid(
        *await call(http, "POST", f"{bi}/dashboards", key, {"name": "x", "report_ids": ["rep_gone"]}), "/report_ids/0"
    )
    status, body = await call(
        http,
        "POST",
        f"{bi}/reports",
        key,
        {"name": "On board", "metric_ids": [metric_id], "dashboard_id": dashboard_id},
    )
    assert status == 201, body
    assert await ids(http, f"{bi}/reports?dashboard_id={dashboard_id}", key) == [body["data"]["id"]]
    assert await ids(http, f"{bi}/reports?dataset_id={deals_ds}", key) == [report_id]
    assert await ids(http, f"{bi}/dashboards?status=draft", key) == [dashboard_id]


async def test_scheduled_artifacts_validate_cron_and_compute_next_run(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    url = f"{base}/v1/bi/scheduled-artifacts"
    _, ds = await call(http, "POST", f"{base}/v1/bi/datasets", key, {"name": "D", "kind": "table", "source": "deals"})
    schedule = {
        "name": "Weekly deals",
        "artifact_type": "dataset",
        "artifact_id": ds["data"]["id"],
        "cron": "0 9 * * 1",
        "timezone": "Europe/Paris",
        "recipients": ["ops@acme.com"],
    }
    before = datetime.now(UTC)
    status, body = await call(http, "POST", url, key, schedule)
    assert status == 201 and body["data"]["id"].startswith("sched_"), body
    sched_id = body["data"]["id"]
    when = datetime.fromisoformat(body["data"]["next_run_at"])
    local = when.astimezone(ZoneInfo("Europe/Paris"))
    assert (local.weekday(), local.hour, local.minute) == (0, 9, 0) and before < when <= before + timedelta(days=7)

    assert_invalid(*await call(http, "POST", url, key, {**schedule, "cron": "61 9 * * 1"}), "/cron")
    assert_invalid(*await call(http, "POST", url, key, {**schedule, "cron": "every monday"}), "/cron")
    assert_invalid(*await call(http, "POST", url, key, {**schedule, "cron": "0 0 31 2 *"}), "/cron")  # never fires
    assert_invalid(*await call(http, "POST", url, key, {**schedule, "timezone": "Mars/Olympus"}), "/timezone")
    assert_invalid(*await call(http, "POST", url, key, {**schedule, "timezone": "Europe"}), "/timezone")
    assert_invalid(*await call(http, "POST", url, key, {**schedule, "artifact_type": "report"}), "/artifact_id")

    status, body = await call(
        http,
        "PATCH",
        f"{base}/v1/bi/scheduled-artifacts/{sched_id}",
        key,
        {"cron": "30 6 * * *", "timezone": "UTC", "status": "active"},
    )
    assert status == 200, body
    when = datetime.fromisoformat(body["data"]["next_run_at"])
    assert (when.hour, when.minute) == (6, 30) and when <= datetime.now(UTC) + timedelta(days=1)
    assert_invalid(*await call(http, "PATCH", f"{base}/v1/bi/scheduled-artifacts/{sched_id}", key, {"cron": "* * *"}))
    status, body = await call(http, "GET", url, key)
    assert [s["id"] for s in body["data"]] == [sched_id] and body["data"][0]["status"] == "active"


async def test_patch_and_archive_any_bi_object(gateway, crm_service, workspace, http):
    _, key = workspace
    bi = f"{gateway.url}/v1/bi"
    _, ds = await call(http, "POST", f"{bi}/datasets", key, {"name": "Deals", "kind": "table", "source": "deals"})
    ds_id = ds["data"]["id"]
    _, metric = await call(
        http, "POST", f"{bi}/metrics", key, {"name": "Count", "dataset_id": ds_id, "aggregation": "count"}
    )
    metric_id = metric["data"]["id"]
    status, body = await call(
        http,
        "PATCH",
        f"{bi}/datasets/{ds_id}",
        key,
        {"name": "All deals", "description": "Every deal", "status": "active"},
    )
    assert status == 200 and (body["data"]["name"], body["data"]["status"]) == ("All deals", "active"), body
    assert body["data"]["kind"] == "table"
    assert await ids(http, f"{bi}/datasets?status=active", key) == [ds_id]
    assert_invalid(*await call(http, "PATCH", f"{bi}/datasets/{ds_id}", key, {"status": "deleted"}))
    assert_invalid(*await call(http, "PATCH", f"{bi}/datasets/{ds_id}", key, {"cron": "0 9 * * 1"}), "/cron")

    _, other = await create_workspace(gateway.settings, "Other", "business")
    for method, path, payload in (
        ("PATCH", f"/datasets/{ds_id}", {"name": "mine"}),
        ("DELETE", f"/datasets/{ds_id}", None),
        ("PATCH", f"/widgets/{ds_id}", {"name": "x"}),
        ("DELETE", f"/widgets/{ds_id}", None),
        ("PATCH", f"/metrics/{ds_id}", {"name": "x"}),
        ("PATCH", "/reports/rep_none", {"name": "x"}),
    ):
        caller = other if path.startswith("/datasets") else key
        status, body = await call(http, method, f"{bi}{path}", caller, payload)
        assert status == 404 and body["error"]["code"] == "NOT_FOUND" and "All deals" not in str(body), (path, body)

    status, body = await call(http, "PATCH", f"{bi}/metrics/{metric_id}", key, {"status": "archived"})
    assert status == 200 and body["data"]["status"] == "archived" and body["data"]["archived"] is True, body
    status, body = await call(http, "DELETE", f"{bi}/datasets/{ds_id}", key)
    assert status == 200 and body["data"]["status"] == "archived", body
    assert await ids(http, f"{bi}/datasets", key) == [] and await ids(http, f"{bi}/metrics", key) == []
    assert await ids(http, f"{bi}/datasets?status=archived", key) == [ds_id]
    assert_invalid(*await call(http, "PATCH", f"{bi}/datasets/{ds_id}", key, {"name": "again"}))
    status, body = await call(http, "POST", f"{bi}/queries/run", key, {"dataset_id": ds_id})
    assert status == 404  # an archived dataset no longer runs


async def test_bi_events_are_catalogued_and_projections_replay_identically(gateway, crm_service, workspace, http):
    workspace_id, key = workspace
    base = gateway.url
    await seed_deals(http, base, key)
    _, ds = await call(http, "POST", f"{base}/v1/bi/datasets", key, {"name": "D", "kind": "table", "source": "deals"})
    _, metric = await call(
        http,
        "POST",
        f"{base}/v1/bi/metrics",
        key,
        {"name": "M", "dataset_id": ds["data"]["id"], "aggregation": "count"},
    )
    _, report = await call(
        http,
        "POST",
        f"{base}/v1/bi/reports",
        key,
        {"name": "R", "dataset_id": ds["data"]["id"], "metric_ids": [metric["data"]["id"]]},
    )
    await call(http, "POST", f"{base}/v1/bi/dashboards", key, {"name": "B", "report_ids": [report["data"]["id"]]})
    await call(http, "POST", f"{base}/v1/bi/exports", key, {"dataset_id": ds["data"]["id"]})
    await call(
        http,
        "POST",
        f"{base}/v1/bi/scheduled-artifacts",
        key,
        {"name": "S", "artifact_type": "report", "artifact_id": report["data"]["id"], "cron": "0 * * * *"},
    )
    status, _ = await call(http, "PATCH", f"{base}/v1/bi/reports/{report['data']['id']}", key, {"status": "active"})
    assert status == 200
    status, _ = await call(http, "DELETE", f"{base}/v1/bi/metrics/{metric['data']['id']}", key)
    assert status == 200

    db = crm_service.db
    commits = await db["event_commits"].find({"workspace_id": workspace_id}).to_list()
    emitted = {e["type"] for c in commits for e in c["events"] if e["type"].startswith("bi_")}
    assert emitted == {
        "bi_dataset.created",
        "bi_metric.created",
        "bi_metric.archived",
        "bi_report.created",
        "bi_report.updated",
        "bi_dashboard.created",
        "bi_export.created",
        "bi_export.completed",
        "bi_scheduled_artifact.created",
    }
    bi_catalogue = {e.key for e in event_catalogue() if e.category == "bi"}
    assert emitted <= bi_catalogue

    projections = [p for name, p in registered_projections().items() if name.startswith("crm.bi_")]
    assert len(projections) == 6
    before = {p.collection: await db[p.collection].find().sort("_id", 1).to_list() for p in projections}
    assert all(before.values())
    for p in projections:
        await db.drop_collection(p.collection)
    code, _, err = await run_cli(crm_service.settings, "replay", "projection", "crm.bi_*")
    assert code == 0, err
    assert {p.collection: await db[p.collection].find().sort("_id", 1).to_list() for p in projections} == before

"""BI over sync tables (`sync.<slug>`): the crm asks the sync service for the table's columns and rows when a query
runs (ad hoc, through a dataset, or for an export), on the real stack behind the gateway; reading one needs
`tables.view`."""

from __future__ import annotations

import pytest

from conftest import Stack, start_gateway, start_sync
from junction_common.service import ServiceRuntime
from tests.api import call
from tests.test_crm_bi_queries import scoped_key

pytestmark = pytest.mark.integration
ORDERS = [{"id": 1, "region": "emea", "amount": 10}, {"id": 2, "region": "emea", "amount": 5.5},
          {"id": 3, "region": "amer", "amount": 20}]


async def test_bi_queries_read_sync_tables(stack_settings: Stack, crm_service: ServiceRuntime,
                                           workspace: tuple[str, str], http: object) -> None:
    workspace_id, key = workspace
    sync = await start_sync(stack_settings)
    try:
        async with start_gateway(stack_settings.gateway) as gw:
            base = gw.url
            status, body = await call(http, "POST", f"{base}/connect/v1/tables", key,
                                      {"name": "Orders", "primaryKey": ["id"]})
            assert status == 201, body
            status, body = await call(http, "POST", f"{base}/connect/v1/tables/orders/rows/upsert", key,
                                      {"rows": ORDERS})
            assert status == 200, body
            query = {"source": "sync.orders", "group_by": ["region"], "order_by": [{"field": "region"}],
                     "aggregations": [{"aggregation": "sum", "field": "amount", "alias": "total"},
                                      {"aggregation": "count"}]}
            status, body = await call(http, "POST", f"{base}/v1/bi/queries/run", key, query)
            assert status == 200, body
            assert body["data"]["rows"] == [{"region": "amer", "total": 20, "count": 1},
                                            {"region": "emea", "total": 15.5, "count": 2}]
            status, body = await call(http, "POST", f"{base}/v1/bi/datasets", key,
                                      {"name": "EMEA orders", "kind": "view", "source": "sync.orders",
                                       "filters": [{"field": "region", "value": "emea"}]})
            assert status == 201, body
            status, body = await call(http, "POST", f"{base}/v1/bi/queries/run", key,
                                      {"dataset_id": body["data"]["id"], "aggregations": [{"aggregation": "count"}]})
            assert status == 200 and body["data"]["rows"] == [{"count": 2}], body
            status, body = await call(http, "POST", f"{base}/v1/bi/exports", key,
                                      {"query": {"source": "sync.orders", "fields": ["id", "amount"]}})
            assert status == 201 and body["data"]["status"] == "completed", body
            assert body["data"]["row_count"] == 3 and body["data"]["columns"] == ["id", "amount"]
            status, body = await call(http, "POST", f"{base}/v1/bi/queries/run", key,
                                      {"source": "sync.orders", "group_by": ["colour"]})
            assert status == 422 and body["error"]["details"]["pointer"] == "/group_by/0", body
            status, body = await call(http, "POST", f"{base}/v1/bi/queries/run", key, {"source": "sync.nope"})
            assert status == 404 and body["error"]["code"] == "NOT_FOUND", body
            bi_only = await scoped_key(stack_settings.gateway, workspace_id, ["bi:read", "bi:write"])
            status, body = await call(http, "POST", f"{base}/v1/bi/queries/run", bi_only, {"source": "sync.orders"})
            assert status == 403 and body["error"]["details"]["required_scope"] == "tables.view", body
    finally:
        await sync.stop()

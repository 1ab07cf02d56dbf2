"""The sync path's table writer on the real stack: bulk upserts by primary key, type inference and evolution
(integer -> number -> string with the rows re-projected from their raw records), the pause policy, records."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from conftest import Stack, start_sync
from junction_common.service import ServiceRuntime
from junction_common.testing.infra import eventually
from sync.tables.writer import TableWriter, table_target
from sync_contracts import records as rx
from sync_contracts import tables as tx

pytestmark = pytest.mark.integration
CONNECTION = {"id": "conn_1", "name": "Production CRM (EU)", "variantLabel": "EU", "type": "junction_sim_crm"}


@pytest_asyncio.fixture
async def sync_service(stack_settings: Stack) -> AsyncIterator[ServiceRuntime]:
    runtime = await start_sync(stack_settings)
    yield runtime
    await runtime.stop()


async def test_ten_thousand_rows_are_upserted_in_bulk_by_primary_key(sync_service: ServiceRuntime) -> None:
    writer = sync_service.component(TableWriter)
    target = table_target(CONNECTION, "contacts")
    rows = [{"id": i, "email": f"u{i}@example.com", "score": i % 7} for i in range(10_000)]
    first = await writer.write_batch("ws_a", target, rows, run_id="run_1", stream="contacts", primary_key=["id"])
    assert (first.created, first.updated, first.rejected) == (10_000, 0, [])
    again = [{**r, "score": 100} for r in rows[:4000]] + [{"id": 10_000 + i, "score": 1} for i in range(500)]
    second = await writer.write_batch("ws_a", target, again, run_id="run_2", stream="contacts", primary_key=["id"])
    assert (second.created, second.updated) == (500, 4000)
    stored = sync_service.db[tx.ROWS]
    assert await stored.count_documents({"table_id": first.table_id}) == 10_500
    assert await stored.count_documents({"table_id": first.table_id, "rec._id": {"$exists": True}}) == 10_500
    row = await stored.find_one({"table_id": first.table_id, "key": "3"})
    assert row is not None and row["data"] == {"id": 3, "email": "u3@example.com", "score": 100}
    assert first.slug == "production_crm_contacts"


async def test_a_batch_that_changes_nothing_writes_nothing(sync_service: ServiceRuntime) -> None:
    writer = sync_service.component(TableWriter)
    target = table_target({"id": "conn_u", "name": "Same"}, "items")
    rows = [{"id": i, "v": "x"} for i in range(50)]
    await writer.write_batch("ws_u", target, rows, run_id="r1", stream="items", primary_key=["id"])
    commits = sync_service.db["event_commits"]
    before = await commits.count_documents({"workspace_id": "ws_u"})
    again = await writer.write_batch("ws_u", target, [*rows[:40], {"id": 7, "v": "y"}], run_id="r2",
                                     stream="items", primary_key=["id"])
    assert (again.created, again.updated, again.unchanged) == (0, 40, 39)
    assert await commits.count_documents({"workspace_id": "ws_u"}) == before + 1  # one record event, for id 7
    row = await sync_service.db[tx.ROWS].find_one({"table_id": again.table_id, "key": "7"})
    assert row is not None and row["data"] == {"id": 7, "v": "y"}


async def test_types_widen_and_rows_are_reprojected(sync_service: ServiceRuntime) -> None:
    writer = sync_service.component(TableWriter)
    target = table_target({"id": "conn_2", "name": "Books"}, "invoices")
    batches = [[{"id": 1, "amount": 10}], [{"id": 2, "amount": 10.5}], [{"id": 3, "amount": "n/a", "note": "x"}]]
    results = [await writer.write_batch("ws_b", target, b, run_id="r", stream="invoices", primary_key=["id"])
               for b in batches]
    assert results[0].schema_changes == []
    assert results[1].schema_changes == [{"column": "amount", "change": "widened", "type": "number",
                                          "previous_type": "integer"}]
    assert {c["column"] for c in results[2].schema_changes} == {"amount", "note"}
    rows = {d["key"]: d["data"] async for d in sync_service.db[tx.ROWS].find({"table_id": results[0].table_id})}
    assert rows == {"1": {"id": 1, "amount": "10"}, "2": {"id": 2, "amount": "10.5"},
                    "3": {"id": 3, "amount": "n/a", "note": "x"}}

    async def listed() -> bool:
        doc = await sync_service.db[tx.TABLES].find_one({"_id": results[0].table_id})
        return doc is not None and len(doc["schema_changes"]) == 2

    await eventually(listed, 20)
    doc = await sync_service.db[tx.TABLES].find_one({"_id": results[0].table_id})
    assert doc is not None
    assert {c["name"]: c["type"] for c in doc["columns"]} == {"id": "integer", "amount": "string", "note": "string"}


async def test_a_paused_table_keeps_records_and_writes_no_rows(sync_service: ServiceRuntime) -> None:
    writer = sync_service.component(TableWriter)
    target = table_target({"id": "conn_3", "name": "Desk", "config": {"schemaChangePolicy": "pause"}}, "tickets")
    first = await writer.write_batch("ws_c", target, [{"id": 1, "n": 1}], run_id="r", stream="tickets",
                                     primary_key=["id"])
    held = await writer.write_batch("ws_c", target, [{"id": 2, "n": "two"}], run_id="r", stream="tickets",
                                    primary_key=["id"])
    assert held.paused and (held.created, held.updated) == (0, 0)
    assert await sync_service.db[tx.ROWS].count_documents({"table_id": first.table_id}) == 1
    # the first item's record is in its row; the held one waits in sync_records for the approval
    assert await sync_service.db[tx.ROWS].count_documents({"table_id": first.table_id, "rec._id": {"$exists": True}}
                                                         ) == 1
    assert await sync_service.db[rx.RECORDS].count_documents({"table_id": first.table_id}) == 1


async def test_a_connections_policy_governs_the_tables_its_syncs_write(sync_service: ServiceRuntime) -> None:
    writer = sync_service.component(TableWriter)
    connection = {"id": "conn_pol", "name": "Policy"}
    first = await writer.write_batch("ws_p", table_target(connection, "s"), [{"id": 1, "n": 1}], run_id="r",
                                     stream="s", primary_key=["id"])
    paused = table_target({**connection, "config": {"schemaChangePolicy": "pause"}}, "s")
    held = await writer.write_batch("ws_p", paused, [{"id": 2, "n": "x"}], run_id="r", stream="s",
                                    primary_key=["id"])
    assert held.paused and held.table_id == first.table_id

"""Shared table storage (pipelines-api.txt): variants of a group sync into one table per stream, named from the base
connection's name; a variant with `createOwnTables: true` gets a table of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_sync_runs import runs_edge

pytestmark = pytest.mark.integration


async def test_variants_share_tables_unless_they_create_their_own(tmp_path: Path) -> None:
    async with runs_edge(tmp_path, rows=40, page_size=50) as edge:
        base = await edge.connect("Production CRM")
        variants = {}
        for body in ({"name": "CRM Platform - Europe Region", "variantLabel": "EU"},
                     {"name": "Production CRM (2024)", "variantLabel": "2024", "config": {"createOwnTables": True}}):
            status, made = await edge.call("POST", f"/api/pipelines/connections/{base}/variants", body)
            assert status == 201, made
            variants[body["variantLabel"]] = made["id"]
        for cid in (base, variants["EU"], variants["2024"]):
            run = await edge.finished(cid, await edge.trigger(cid))
            assert run["status"] == "COMPLETED", run
        rows = await edge.rows()
        tables = {}
        for row in rows:
            tables.setdefault(row["table_id"], 0)
            tables[row["table_id"]] += 1
        # The base and the EU variant upsert the same 40 keys into one table; the 2024 variant has its own.
        assert sorted(tables.values()) == [40, 40]
        status, listed = await edge.call("GET", f"/api/pipelines/connections/{variants['EU']}/runs")
        assert listed["runs"][0]["rowsUpdated"] == 40  # the base's rows, updated: one shared table

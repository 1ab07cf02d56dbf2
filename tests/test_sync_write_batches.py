"""The table writer's round trips are bounded per batch, whatever its row count: every MongoDB command the write
path sends for one batch is counted (a pymongo CommandListener, the writer's own task only) so the bulk batching
cannot regress into a command per row or per chunk unnoticed."""

from __future__ import annotations

import collections
import contextvars
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from pymongo import monitoring

from conftest import Stack, start_sync
from junction_common.service import ServiceRuntime
from sync.tables.writer import BatchResult, TableWriter, table_target
from sync_contracts import records as rx
from sync_contracts import tables as tx

pytestmark = pytest.mark.integration
COUNTING: contextvars.ContextVar[collections.Counter[str] | None] = contextvars.ContextVar("counting", default=None)
MAX_COMMANDS_PER_BATCH = 8  # table stream, plan or row count, rows read, records left loose?, rows (insert,
# update; each holding its record), events


class BatchCommands(monitoring.CommandListener):
    """Counts the commands started in a task that is counting (`COUNTING` set), as `<command> <collection>`."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        counts = COUNTING.get()
        if counts is not None:
            target = event.command.get(event.command_name)
            counts[f"{event.command_name} {target if isinstance(target, str) else ''}".strip()] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


monitoring.register(BatchCommands())  # once, before any client is made (it counts only in a counting task)


@pytest_asyncio.fixture
async def sync_service(stack_settings: Stack) -> AsyncIterator[ServiceRuntime]:
    runtime = await start_sync(stack_settings)
    yield runtime
    await runtime.stop()


async def counted(writer: TableWriter, workspace_id: str, records: list[dict[str, object]], run_id: str
                  ) -> tuple[BatchResult, collections.Counter[str]]:
    """One batch written, and the commands its write sent."""
    counts: collections.Counter[str] = collections.Counter()
    token = COUNTING.set(counts)
    try:
        result = await writer.write_batch(workspace_id, table_target({"id": "conn_w", "name": "Bulk"}, "items"),
                                          records, run_id=run_id, stream="items", primary_key=["id"])
    finally:
        COUNTING.reset(token)
    return result, counts


def items(first: int, count: int, label: str = "a") -> list[dict[str, object]]:
    return [{"id": i, "name": f"Item {i} {label}", "score": i % 11, "at": "2026-01-01T00:00:00Z"}
            for i in range(first, first + count)]


async def test_a_batch_costs_the_same_few_commands_whatever_its_row_count(sync_service: ServiceRuntime) -> None:
    writer = sync_service.component(TableWriter)
    await counted(writer, "ws_w", items(0, 10), "run_0")  # the table made (its create command is not a batch's)
    small, small_counts = await counted(writer, "ws_w", items(10, 20), "run_1")
    large, large_counts = await counted(writer, "ws_w", items(1_000, 2_000), "run_1")
    mixed, mixed_counts = await counted(writer, "ws_w", items(2_000, 2_000, "b"), "run_2")  # 1,000 updated
    assert (small.created, large.created, mixed.created, mixed.updated) == (20, 2_000, 1_000, 1_000)
    for counts in (small_counts, large_counts, mixed_counts):
        assert sum(counts.values()) <= MAX_COMMANDS_PER_BATCH, counts
        assert counts["insert sync_table_rows"] <= 1, counts
        assert not counts["insert sync_records"] and not counts["update sync_records"], counts  # kept in the rows
        assert counts["insert event_commits"] == 1, counts  # every record event of the batch in one insert
    assert sum(large_counts.values()) <= sum(small_counts.values())
    assert "getMore" not in mixed_counts, mixed_counts  # the batch's existing rows come back in one answer
    assert await sync_service.db[tx.ROWS].count_documents({"table_id": large.table_id}) == 3_030
    assert await sync_service.db[tx.ROWS].count_documents({"table_id": large.table_id, "rec._id": {"$exists": True}}
                                                         ) == 3_030  # one document per row: its record inside
    assert await sync_service.db[rx.RECORDS].count_documents({"table_id": large.table_id}) == 0


async def test_a_batch_that_changes_nothing_sends_only_its_reads(sync_service: ServiceRuntime) -> None:
    writer = sync_service.component(TableWriter)
    await counted(writer, "ws_n", items(0, 2_000), "run_1")
    again, counts = await counted(writer, "ws_n", items(0, 2_000), "run_2")  # redelivered: the same rows
    assert (again.created, again.unchanged) == (0, 2_000)
    assert not any(name.startswith(("insert", "update")) for name in counts), counts
    assert sum(counts.values()) <= MAX_COMMANDS_PER_BATCH, counts

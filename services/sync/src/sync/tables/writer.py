"""The sync path's way into tables: a run hands each batch of a stream's records to `TableWriter.write_batch`.

```python
writer = TableWriter(runtime)
target = table_target(connection, "contacts")  # slug and name per the connection (variants share tables)
result = await writer.write_batch(workspace_id, target, records, run_id=run_id, stream="contacts",
                                  primary_key=["id"])
result.created, result.updated, result.paused, result.schema_changes, result.rejected
```
Rows are keyed by the primary key (a content hash without one) and upserted in bulk; a batch that meets a held
schema change (`pause` policy) keeps its raw records but writes no rows (`paused`): the run should mark the
stream paused until the change is approved.
"""

from __future__ import annotations

from junction_common.envelope import Actor
from junction_common.service import ServiceRuntime
from sync.tables.ingest import BatchResult, Ingest, Source
from sync.tables.plans import PlanBook
from sync.tables.service import Cause
from sync.tables.settle import settle_run
from sync.tables.targets import TableTarget, table_target
from sync_contracts import tables as tx

__all__ = ["BatchResult", "TableTarget", "TableWriter", "table_target"]
RUNS_REMEMBERED = 1000


class TableWriter:
    """Writes sync batches into their tables; a component of the service (`runtime.component(TableWriter)`)."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.ingest = Ingest(runtime)
        self.plans = PlanBook(runtime.db)
        self.run_plans: dict[tuple[str, str], str | None] = {}  # (workspace, run) -> the plan of its first batch

    async def prepare(self) -> None:
        """The indexes rows and records are found by (besides `_id`)."""
        await self.ingest.rows.ensure_indexes()
        await self.ingest.records.ensure_indexes()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def write_batch(self, workspace_id: str, table: TableTarget, records: list[dict[str, object]], *,
                          run_id: str, stream: str, primary_key: list[str] | None,
                          plan: str | None = None) -> BatchResult:
        """Upsert a batch of `stream`'s records into `table` (made on first use); `plan` defaults to the plan the
        workspace was last seen with (row limits unchecked when none is known)."""
        cause = Cause(workspace_id, Actor(kind="system", id="sync"), correlation_id=run_id)
        plan = plan or await self._plan_of_run(workspace_id, run_id)
        items = records  # read, never changed: the batch is the writer's once handed over (no copy per record)
        state = await self.ingest.table(cause, table, items, primary_key, "sync", plan)
        if table.schema_policy and table.schema_policy != state.policy:
            # The connection's policy, when it sets one, governs the tables its syncs write.
            changed, _ = await self.ingest.tables.run(cause, tx.UPDATE, state.table_id,
                                                      {"settings": {"schema_policy": table.schema_policy}})
            state = changed or state
        source = Source("sync", resource_type=stream, provider=table.provider, connection_id=table.connection_id,
                        run_id=run_id, stream=stream)
        return await self.ingest.write(cause, state, items, source, plan=plan)

    async def settle(self, workspace_id: str, run_id: str) -> int:
        """Before a run reads: the record events an earlier attempt of it wrote records for but never appended,
        appended (sync.tables.settle); how many."""
        return await settle_run(self.ingest, workspace_id, run_id)

    async def _plan_of_run(self, workspace_id: str, run_id: str) -> str | None:
        """The workspace's plan as the run's first batch found it (one lookup per run, not per batch)."""
        key = (workspace_id, run_id)
        if key not in self.run_plans:
            if len(self.run_plans) >= RUNS_REMEMBERED:
                del self.run_plans[next(iter(self.run_plans))]
            self.run_plans[key] = await self.plans.plan_of(workspace_id)
        return self.run_plans[key]

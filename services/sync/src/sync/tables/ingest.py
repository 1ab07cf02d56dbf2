"""Items into a table: the table made if it is missing, its schema evolved by what the items show (under its
policy), each item kept as a raw record, and the rows upserted in bulk. A widening re-projects the table's rows
from their raw records; a held (breaking) change keeps the records but writes no rows until it is approved."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from junction_common.envelope import utcnow
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError
from sync.domain import table as domain
from sync.domain.table_types import observe
from sync.records.docs import facts_of, in_row, of_row, record_doc, record_view, row_record_id
from sync.records.store import EVENTS_PER_COMMIT, RecordStore, event_streams
from sync.tables import limits
from sync.tables.crash import crash_point
from sync.tables.rows import MissingKey, RowStore, RowWrite, row_id, row_key, shape, shape_typed
from sync.tables.service import Cause, TableService
from sync.tables.targets import TableTarget, table_id_of
from sync_contracts import tables as tx

log = get_logger(__name__)
Doc = dict[str, Any]


@dataclass
class BatchResult:
    """What a batch did to its table: rows created and updated, items refused (`{"index", "error"}`), the schema
    changes it made, and whether the table holds a change for approval (then no row was written)."""

    table_id: str
    slug: str
    created: int = 0
    updated: int = 0
    paused: bool = False
    schema_changes: list[Doc] = field(default_factory=list)
    rejected: list[Doc] = field(default_factory=list)
    unchanged: int = 0  # of `updated`: rows the batch left as they were (nothing written, no event)

    @property
    def written(self) -> int:
        return self.created + self.updated


@dataclass(frozen=True)
class Source:
    """Where items come from: `sync` (a run of a connection's stream), `import`, `webhook`; the record facts."""

    kind: str
    resource_type: str
    provider: str | None = None
    connection_id: str | None = None
    run_id: str | None = None
    stream: str | None = None


class Keyed(NamedTuple):
    """An item with its row key, its row's and its record's ids and the row values it makes under the schema."""

    key: str
    row_id: str
    record_id: str
    item: Doc
    data: Doc


def _unchanged(row: Doc | None, keyed: Keyed) -> bool:
    return row is not None and row.get("record_id") == keyed.record_id and row.get("data") == keyed.data


class Ingest:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.tables = TableService(runtime)
        self.rows = RowStore(runtime.db)
        self.records = RecordStore(runtime)

    async def table(self, cause: Cause, target: TableTarget, items: list[Doc], primary_key: list[str] | None,
                    origin: str, plan: str | None) -> domain.Table:
        """The live table of `target`, created from the items' columns when it is missing."""
        table_id = table_id_of(cause.workspace_id, target.slug)
        state = await self.tables.state(table_id)
        if state is not None and not state.deleted:
            return state
        if plan is not None:
            limits.check_tables(plan, len(await self.tables.of_workspace(cause.workspace_id)))
        columns = [{"name": n, "type": t} for n, t in observe(items).items()]
        record = tx.TableRecord.model_validate({
            "slug": target.slug, "name": target.name, "columns": columns, "primary_key": primary_key or None,
            "schema_policy": target.schema_policy or "propagate", "origin": origin,
            "connection_id": target.connection_id, "provider": target.provider, "stream": target.stream})
        try:
            made, version = await self.tables.run(cause, tx.CREATE, table_id,
                                                  {"record": record.model_dump(mode="json")})
            if cause.request_id:
                await self.tables.readable(table_id, version)
        except ApiError as exc:
            if exc.code != "VALIDATION_ERROR":
                raise
            made = await self.tables.state(table_id)  # another batch made it first
        if made is None:
            raise ApiError("INTERNAL_ERROR", "The table was not created.", {"slug": target.slug})
        return made

    async def evolve(self, cause: Cause, state: domain.Table, items: list[Doc]) -> domain.Table:
        """The table once the items' column types are taken in (no command when they change nothing)."""
        types = observe(items)
        added, widened = domain.diff(state.columns, types)
        if not (added and state.policy != "ignore_new_columns") and not widened:
            return state
        evolved, version = await self.tables.run(cause, tx.EVOLVE, state.table_id, {"observed": types})
        if cause.request_id:  # an API call: a GET right after its answer sees the new schema
            await self.tables.readable(state.table_id, version)
        return evolved or state

    async def write(self, cause: Cause, state: domain.Table, items: list[Doc], source: Source | None, *,
                    key_columns: list[str] | None = None, plan: str | None = None, merge: bool = False) -> BatchResult:
        """Rows upserted (unless a change is held); with a `source`, each item also kept as a record and its
        `record.ingested` event appended (rows written through the API are not ingested items). An item whose
        row it would leave as it is (the same values from the same record) is counted, not written again."""
        before = state
        state = await self.evolve(cause, state, items)
        result = BatchResult(state.table_id, str(state.record["slug"]), schema_changes=_changes(before, state))
        at = utcnow().isoformat()
        keyed = self._keyed(cause.workspace_id, state, items, key_columns or state.record.get("primary_key"), result)
        existing: dict[str, Doc] = {}
        if state.held is None:
            existing = await self.rows.read(list(dict.fromkeys(k.row_id for k in keyed)), records=source is None)
            if plan is not None:
                adding = len({k.row_id for k in keyed} - set(existing))
                limits.check_rows(plan, result.slug, await self.rows.count(state.table_id), adding)
        skip = source is not None and state.held is None and not merge and state.policy != "ignore_new_columns"
        fresh = [k for k in keyed if not (skip and _unchanged(existing.get(k.row_id), k))]
        streams = event_streams(len(fresh) if source is not None else 0)
        docs = [] if source is None else [
            record_doc(cause.workspace_id, k.record_id, k.item, at, resource_type=source.resource_type,
                       provider=source.provider, source=source.kind, connection_id=source.connection_id,
                       run_id=source.run_id, stream=source.stream, table_id=state.table_id, table=result.slug,
                       key=k.key, event_stream=streams[i // EVENTS_PER_COMMIT], searchable=state.held is not None)
            for i, k in enumerate(fresh)]
        # Each record in its row's document (one bulk write), then their events: a run killed between the two is
        # settled when it resumes (sync.tables.settle: the events its records' `event_stream` commits lack
        # appended), and the items it reads again are then unchanged: no event lost, none doubled. While the
        # table holds a change, the records are kept in `sync_records` (no row is written).
        if state.held is not None:
            await self.records.loosen(docs)
            crash_point(self.runtime.settings, "records_written")
            result.paused = True
        else:
            if docs and await self.records.loose_of_table(state.table_id):
                await self.records.drop_loose([d["_id"] for d in docs])  # kept in their rows from now on
            facts = facts_of(docs[0]) if docs else None  # the batch's records share their facts
            writes = [RowWrite(k.key, k.data, k.record_id, in_row(docs[i], facts)) if source
                      else RowWrite(k.key, k.data) for i, k in enumerate(fresh)]
            done = await self.rows.upsert(cause.workspace_id, state.table_id, writes, at, merge, existing)
            crash_point(self.runtime.settings, "records_written")
            result.created, result.unchanged = done.created, len({k.key for k in keyed}) - len({k.key for k in fresh})
            result.updated = done.updated + result.unchanged
            crash_point(self.runtime.settings, "rows_written")
            if any(c["change"] == "widened" for c in result.schema_changes):
                await self.reproject(state)
        if docs:
            await self.records.emit(cause.workspace_id, "record.ingested",
                                    [{"record": record_view(d)} for d in docs], cause.correlation_id, cause.actor,
                                    stream_ids=streams)
            crash_point(self.runtime.settings, "events_appended")
        return result

    def _keyed(self, workspace_id: str, state: domain.Table, items: list[Doc], key_columns: list[str] | None,
               result: BatchResult) -> list[Keyed]:
        keyed, types = [], {c["name"]: c["type"] for c in state.columns}
        for index, item in enumerate(items):
            try:
                key = row_key(item, key_columns)
            except MissingKey as exc:
                result.rejected.append({"index": index, "error": str(exc)})
                continue
            rid = row_id(state.table_id, key)
            keyed.append(Keyed(key, rid, row_record_id(rid), item, shape_typed(item, types)))
        return keyed

    async def reproject(self, state: domain.Table, since: str | None = None) -> int:
        """Every row rebuilt from its raw record (or its own values, for a row the API wrote) under the schema;
        with `since`, rows also made for the records received from then on that have none (held while paused).
        The table's records in `sync_records` (held while paused) move into their rows."""
        loose = {d["_id"]: d for d in await self.records.of_table(state.table_id)}
        rows, moved = await self.rows.all(state.table_id, records=True), []
        for row in rows:
            rid = row.get("record_id") or ""
            if rid in loose:
                row["rec"] = in_row(loose[rid])
                moved.append(rid)
            held = of_row(row) if rid and (row.get("rec") or {}).get("_id") == rid else None
            row["data"] = shape(held["data"] if held else row["data"], state.columns)
        if since is not None:
            have = {row["_id"] for row in rows}
            at = utcnow().isoformat()
            for rid, rec in loose.items():
                made = row_id(state.table_id, str(rec.get("key")))
                if made not in have and str(rec.get("received_at")) >= since:
                    rows.append({"_id": made, "table_id": state.table_id, "workspace_id": rec["workspace_id"],
                                 "key": rec.get("key"), "data": shape(rec["data"], state.columns), "record_id": rid,
                                 "created_at": at, "updated_at": at, "rec": in_row(rec)})
                    moved.append(rid)
        await self.rows.replace_data(rows)
        await self.records.drop_loose(moved)
        log.info("table_reprojected", table_id=state.table_id, rows=len(rows))
        return len(rows)


def _changes(before: domain.Table, after: domain.Table) -> list[Doc]:
    added, widened = domain.diff(before.columns, after.types())
    return added + widened

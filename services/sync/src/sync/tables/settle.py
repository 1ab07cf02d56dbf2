"""What a killed run left half-done, settled when it resumes. A batch writes its rows, each holding its record
(which names the record-batch stream its event goes to, `event_stream`), then the events: a run killed between
the two leaves records whose event stream is not in the event store. Before it reads again, the resumed run
appends exactly those missing events, in the streams the records name (records kept in `sync_records` while their
table held a change get their rows derived again first, when it no longer does); the items it then reads again
find their rows unchanged and are not announced twice."""

from __future__ import annotations

from typing import Any

from junction_common.envelope import Actor, utcnow
from junction_common.logconfig import get_logger
from sync.records.docs import in_row, record_view
from sync.tables.ingest import Ingest
from sync.tables.rows import RowWrite, shape

log = get_logger(__name__)
Doc = dict[str, Any]
SYNC = Actor(kind="system", id="sync")


async def settle_run(ingest: Ingest, workspace_id: str, run_id: str) -> int:
    """The events the run's earlier attempts wrote records for but never appended, appended (the rows of those
    kept in `sync_records` derived again first); how many."""
    loose, in_rows = await ingest.records.of_run(workspace_id, run_id)
    marked = {str(d["event_stream"]) for d in loose + in_rows if d.get("event_stream")}
    missing = marked - await ingest.records.appended(marked) if marked else set()
    if not missing:
        return 0
    await _rows_again(ingest, workspace_id, [d for d in loose if d.get("event_stream") in missing])
    by_stream: dict[str, list[Doc]] = {}
    for doc in loose + in_rows:
        if doc.get("event_stream") in missing:
            by_stream.setdefault(str(doc["event_stream"]), []).append(doc)
    for stream_id, group in sorted(by_stream.items()):
        await ingest.records.emit(workspace_id, "record.ingested", [{"record": record_view(d)} for d in group],
                                  run_id, SYNC, stream_ids=[stream_id])
    events = sum(len(group) for group in by_stream.values())
    log.info("run_settled", run_id=run_id, events=events, streams=len(by_stream))
    return events


async def _rows_again(ingest: Ingest, workspace_id: str, docs: list[Doc]) -> None:
    """Each record's row, derived from it under its table's schema and holding it (none while the table holds a
    change)."""
    by_table: dict[str, list[Doc]] = {}
    for doc in docs:
        by_table.setdefault(str(doc.get("table_id")), []).append(doc)
    at = utcnow().isoformat()
    for table_id, records in by_table.items():
        state = await ingest.tables.state(table_id)
        if state is None or state.deleted or state.held is not None:
            continue
        writes = [RowWrite(str(r["key"]), shape(r["data"], state.columns), str(r["_id"]), in_row(r)) for r in records]
        await ingest.rows.upsert(workspace_id, table_id, writes, at)
        await ingest.records.drop_loose([str(r["_id"]) for r in records])

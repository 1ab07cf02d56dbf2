"""Read models of runs: `sync_runs` (one document per run, as pipelines-api.txt lists it) and `sync_cursors` (one
per connection: every stream's cursor and state, and the version of its cursor history)."""

from __future__ import annotations

import copy
from typing import Any

from junction_common.envelope import EventEnvelope
from junction_common.projections.runner import Projection
from sync.domain import cursor, run
from sync_contracts import declarations as decl
from sync_contracts import runs as rx

Doc = dict[str, Any]
COUNTS = ("rows_synced", "rows_created", "rows_updated")


def apply_run(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: the run after `event`; times from `occurred_at`."""
    at, data = event.occurred_at.isoformat(), copy.deepcopy(event.data)
    if event.type == "sync_run.requested":
        data.pop("record", None)
        return {**data, "workspace_id": event.workspace_id, "status": rx.PENDING, "requested_at": at,
                "created_ts": event.occurred_at.timestamp(), "started_at": None, "completed_at": None,
                "rows_synced": 0, "rows_created": 0, "rows_updated": 0, "stream_results": {}, "error": None,
                "attempts": 0}
    new = dict(doc or {})
    new["status"] = run.STATUS_OF.get(event.type, new.get("status"))
    if event.type == "sync_run.started":
        new["attempts"] = data["attempt"]
        new["started_at"] = new.get("started_at") or at
    elif event.type == "sync_run.stream_completed":
        new["stream_results"] = {**new.get("stream_results", {}),
                                 data["stream"]: {**{k: data[k] for k in COUNTS}, "paused": data.get("paused", False)}}
    else:
        new.update({k: data[k] for k in COUNTS})
        new["stream_results"] = {**new.get("stream_results", {}), **data.get("streams", {})}
        new["completed_at"] = at
        new["error"] = data.get("error")
        new["cancelled_by"] = data.get("cancelled_by")
    return new


def apply_cursor(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: the connection's cursors after `event` (the fold of the domain, kept as a document)."""
    streams = cursor.evolve(dict((doc or {}).get("streams", {})), event)
    return {"workspace_id": event.workspace_id, "connection_id": event.stream_id.removeprefix("cursor_"),
            "streams": copy.deepcopy(streams), "updated_at": event.occurred_at.isoformat()}


RUNS = Projection(name="sync.runs", service=decl.SERVICE, topics=(decl.RUN_EVENTS,), collection=rx.RUNS,
                  apply=apply_run, indexes=((("workspace_id", 1), ("connection_id", 1)),))
CURSORS = Projection(name="sync.cursors", service=decl.SERVICE, topics=(decl.CURSOR_EVENTS,),
                     collection=rx.CURSORS, apply=apply_cursor)

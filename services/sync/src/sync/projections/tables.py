"""The `sync_tables` read model: one document per table, with its columns, the history of its schema changes
and the change it holds for approval, if any. A table created again after a delete starts afresh."""

from __future__ import annotations

import copy
from typing import Any

from junction_common.envelope import EventEnvelope
from junction_common.projections.runner import Projection
from sync_contracts import declarations as decl
from sync_contracts import tables as tx

Doc = dict[str, Any]


def apply_table(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: the table document after `event`; time comes from `occurred_at`."""
    at = event.occurred_at.isoformat()
    data = copy.deepcopy(event.data)
    if event.type == "table.created":
        return {**data["record"], "id": event.stream_id, "workspace_id": event.workspace_id, "deleted": False,
                "schema_changes": [], "pending_schema_change": None, "created_at": at, "updated_at": at}
    new = {**(doc or {}), "updated_at": at}
    if event.type == "table.updated":
        new.update(data["changes"])
    elif event.type == "table.deleted":
        new.update(deleted=True, deleted_at=at, pending_schema_change=None)
    elif event.type == "table.schema_changed":
        new["columns"] = data["columns"]
        new["schema_changes"] = [*new.get("schema_changes", []),
                                 {"version": event.version, "at": at, "reason": data.get("reason", "observed"),
                                  "changes": data["changes"]}]
        if data.get("reason") == "approved":
            new["pending_schema_change"] = None
    elif event.type == "table.schema_change_held":
        new["pending_schema_change"] = {"at": at, "changes": data["changes"], "columns": data["columns"]}
    return new


TABLES = Projection(name="sync.tables", service=decl.SERVICE, topics=(decl.TABLE_EVENTS,), collection=tx.TABLES,
                    apply=apply_table, indexes=((("workspace_id", 1),),))

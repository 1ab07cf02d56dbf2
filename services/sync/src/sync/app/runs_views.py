"""How runs and notifications are shown: pipelines-api.txt's run (`id, status, trigger, startedAt, completedAt,
rowsSynced, rowsCreated, rowsUpdated`), with Junction's additions (`connectionId`, `streams`, `streamResults`,
`pausedStreams`, `error`, `requestedAt`). The run events carry the run as shown here (`record`), so a webhook or
flow gets it as the API returns it."""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]


def _counts(row: Doc) -> Doc:
    return {"rowsSynced": row.get("rows_synced", 0), "rowsCreated": row.get("rows_created", 0),
            "rowsUpdated": row.get("rows_updated", 0)}


def run_view(doc: Doc) -> Doc:
    return {"id": doc["_id"], "status": doc["status"], "trigger": doc.get("trigger"),
            "startedAt": doc.get("started_at"), "completedAt": doc.get("completed_at"), **_counts(doc),
            "connectionId": doc.get("connection_id"), "requestedAt": doc.get("requested_at"),
            "streams": doc.get("streams") or [],
            "streamResults": {name: {**_counts(row), "paused": bool(row.get("paused"))}
                              for name, row in (doc.get("stream_results") or {}).items()},
            "pausedStreams": sorted(name for name, row in (doc.get("stream_results") or {}).items()
                                    if row.get("paused")),
            "error": doc.get("error"), "attempts": doc.get("attempts", 0)}


def notification_view(doc: Doc) -> Doc:
    return {"id": doc["_id"], "runId": doc["run_id"], "connectionId": doc["connection_id"], "kind": doc["kind"],
            "status": doc["status"], "message": doc["message"], "allMembers": doc.get("all_members", False),
            "recipients": doc.get("recipients", []), "excluded": doc.get("excluded", []),
            "createdAt": doc.get("created_at")}


def pagination(limit: int, offset: int, total: int, shown: int) -> Doc:
    return {"limit": limit, "offset": offset, "total": total, "hasMore": offset + shown < total}


def run_record(doc: Doc, **changes: Any) -> Doc:
    """The run as the API shows it after `changes` (read-model fields) are made, without its `id`."""
    view = run_view({**doc, **changes})
    view.pop("id")
    return view

"""Notifications of a run's completion or failure: stored (an event folded into `sync_notifications`, listable) and
emitted as `sync_notification.created` for webhooks and flows."""

from __future__ import annotations

from typing import Any

from junction_common.service import ServiceRuntime
from sync.app.runs_commands import execute
from sync.domain import run_notice
from sync_contracts import events as ev
from sync_contracts import runs as rx

Doc = dict[str, Any]


def message_of(command: str, data: Doc, name: str) -> str:
    if command == ev.COMPLETE_RUN:
        return f"Sync of {name} completed: {data.get('rows_synced', 0)} rows synced."
    error = (data.get("error") or {}).get("message") or "unknown error"
    return f"Sync of {name} failed: {error}"


async def notify(runtime: ServiceRuntime, run_id: str, workspace_id: str, request: Doc, command: str,
                 data: Doc) -> None:
    """The notification of a finished run, to the connection's notified users (or every member)."""
    connection = await runtime.db[rx.CONNECTIONS].find_one({"_id": request["connection_id"]}) or {}
    completed = command == ev.COMPLETE_RUN
    notice = {"run_id": run_id, "connection_id": request["connection_id"],
              "kind": "completed" if completed else "failed", "status": rx.COMPLETED if completed else rx.FAILED,
              **run_notice.recipients(connection.get("notify_user_ids"), request.get("triggered_by")),
              "message": message_of(command, data, str(connection.get("name") or request["connection_id"]))}
    await execute(runtime, ev.NOTIFY, run_notice.stream_id(run_id), workspace_id, notice,
                  command_id=f"cmd_{run_id}.notify")

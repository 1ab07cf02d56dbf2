"""Notifications of a run's completion or failure: stored (an event folded into `sync_notifications`, listable) and
emitted as `sync_notification.created` for webhooks and flows. A connection that names no `notifyUserIds` tells
every member: they are listed (`recipients`) as the workspace has them when the notification is sent."""

from __future__ import annotations

from typing import Any

from junction_common.service import ServiceRuntime
from sync.app.runs_commands import execute
from sync.domain import run_notice
from sync_contracts import events as ev
from sync_contracts import runs as rx

Doc = dict[str, Any]
MEMBERS = "members"  # the identity database's workspace members (gateway.members.MemberStore writes them)


def message_of(command: str, data: Doc, name: str) -> str:
    if command == ev.COMPLETE_RUN:
        return f"Sync of {name} completed: {data.get('rows_synced', 0)} rows synced."
    error = (data.get("error") or {}).get("message") or "unknown error"
    return f"Sync of {name} failed: {error}"


async def members_of(runtime: ServiceRuntime, workspace_id: str) -> list[str]:
    """The workspace's members now (their ids): read from the identity database, where the gateway keeps them (the
    platform's shared identity store, as API keys; read only)."""
    members = runtime.db.client[runtime.settings.db_name("identity")][MEMBERS]
    return [str(d["_id"]) async for d in members.find({"workspace_id": workspace_id}, {"_id": 1}).sort("_id", 1)]


async def notify(runtime: ServiceRuntime, run_id: str, workspace_id: str, request: Doc, command: str,
                 data: Doc) -> None:
    """The notification of a finished run, to the connection's notified users (or every member)."""
    connection = await runtime.db[rx.CONNECTIONS].find_one({"_id": request["connection_id"]}) or {}
    named = connection.get("notify_user_ids")
    members = None if named else await members_of(runtime, workspace_id)
    completed = command == ev.COMPLETE_RUN
    notice = {"run_id": run_id, "connection_id": request["connection_id"],
              "kind": "completed" if completed else "failed", "status": rx.COMPLETED if completed else rx.FAILED,
              **run_notice.recipients(named, request.get("triggered_by"), members),
              "message": message_of(command, data, str(connection.get("name") or request["connection_id"]))}
    await execute(runtime, ev.NOTIFY, run_notice.stream_id(run_id), workspace_id, notice,
                  command_id=f"cmd_{run_id}.notify")

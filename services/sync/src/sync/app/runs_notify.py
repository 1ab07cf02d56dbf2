"""Notifications of a run's completion or failure: stored (an event folded into `sync_notifications`, listable) and
emitted as `sync_notification.created` for webhooks and flows. A connection that names no `notifyUserIds` tells
every member: they are listed (`recipients`) as the workspace has them when the notification is sent, asked of the
gateway's internal API (the gateway keeps the workspaces' members; this service reads no other's database)."""

from __future__ import annotations

import asyncio
from typing import Any

from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.web.peers import PeerClient, PeerUnavailable
from sync.app.runs_commands import execute
from sync.domain import run_notice
from sync_contracts import events as ev
from sync_contracts import runs as rx

Doc = dict[str, Any]
log = get_logger(__name__)
IDENTITY = "gateway"  # the gateway keeps the workspaces' identity (members, keys) and serves it internally
MEMBERS_PATH = "/identity/members"  # its internal route (PeerClient prefixes `/internal`)
MEMBERS_ATTEMPTS = (0.0, 0.5, 2.0)  # waits before each try: a gateway restarting is back within seconds


def message_of(command: str, data: Doc, name: str) -> str:
    if command == ev.COMPLETE_RUN:
        return f"Sync of {name} completed: {data.get('rows_synced', 0)} rows synced."
    error = (data.get("error") or {}).get("message") or "unknown error"
    return f"Sync of {name} failed: {error}"


async def members_of(peers: PeerClient, workspace_id: str) -> list[str]:
    """The workspace's members now (their ids), as the gateway, which keeps them, lists them; none when it
    cannot be asked (the notification still says it was meant for every member)."""
    for wait in MEMBERS_ATTEMPTS:
        await asyncio.sleep(wait)
        try:
            answer = await peers.call("GET", IDENTITY, MEMBERS_PATH, workspace_id, timeout_s=10.0)
        except PeerUnavailable as exc:
            log.warning("members_list_unavailable", workspace_id=workspace_id, error=str(exc))
            continue
        if answer.ok and isinstance(answer.body, dict) and isinstance(answer.body.get("member_ids"), list):
            return [str(member) for member in answer.body["member_ids"]]
        log.warning("members_list_refused", workspace_id=workspace_id, status=answer.status)
        if answer.status < 500:
            break  # refused, not away: asking again changes nothing
    return []


async def notify(runtime: ServiceRuntime, peers: PeerClient, run_id: str, workspace_id: str, request: Doc,
                 command: str, data: Doc) -> None:
    """The notification of a finished run, to the connection's notified users (or every member, asked of the
    gateway through the run worker's `peers`)."""
    connection = await runtime.db[rx.CONNECTIONS].find_one({"_id": request["connection_id"]}) or {}
    named = connection.get("notify_user_ids")
    members = None if named else await members_of(peers, workspace_id)
    completed = command == ev.COMPLETE_RUN
    notice = {"run_id": run_id, "connection_id": request["connection_id"],
              "kind": "completed" if completed else "failed", "status": rx.COMPLETED if completed else rx.FAILED,
              **run_notice.recipients(named, request.get("triggered_by"), members),
              "message": message_of(command, data, str(connection.get("name") or request["connection_id"]))}
    await execute(runtime, ev.NOTIFY, run_notice.stream_id(run_id), workspace_id, notice,
                  command_id=f"cmd_{run_id}.notify")


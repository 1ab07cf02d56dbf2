"""Run notification (`ntf_<run id>`): one per run that completed or failed, created once.

Recipients: the connection's `notifyUserIds`, or every member of the workspace when it names none (an empty
list: `allMembers`, the members as they are when the notification is sent listed in `recipients`), never the user
who triggered the run (`excluded`)."""

from __future__ import annotations

from typing import Any

from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent
from sync_contracts import events as ev


def stream_id(run_id: str) -> str:
    return f"ntf_{run_id}"


def recipients(notify_user_ids: list[str] | None, triggered_by: str | None,
               members: list[str] | None = None) -> dict[str, Any]:
    """Who is told (every member when the connection names none: `members`, the workspace's members at send
    time) and who is left out (the triggering user)."""
    excluded = [triggered_by] if triggered_by else []
    chosen = notify_user_ids or members or []
    return {"all_members": not notify_user_ids, "excluded": excluded,
            "recipients": [u for u in chosen if u not in excluded]}


def decide(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
    if cmd.type != ev.NOTIFY:
        raise CommandRejected("VALIDATION_ERROR", f"unknown command type {cmd.type}")
    if events:
        return []
    data = ev.build_payload("sync_notification.created", **cmd.data)
    return [NewEvent(type="sync_notification.created", data=data, schema_version=ev.NotificationCreated.schema_version)]

"""Cursor operations: the documented reset (a date for one stream, `null` for a full resync), and Junction's own
restore (every stream as it stood at an earlier version of the cursor history) and history listing."""

from __future__ import annotations

from typing import Any

from junction_common.envelope import Actor
from junction_common.service import ServiceRuntime
from sync.app.runs_commands import execute
from sync.domain import cursor
from sync_contracts import events as ev
from sync_contracts import runs as rx

Doc = dict[str, Any]


async def current(runtime: ServiceRuntime, connection_id: str) -> tuple[cursor.Streams, list[Any]]:
    """The connection's cursors as its event log has them (never behind a write just made), and that log."""
    events, _ = await runtime.store.load(cursor.stream_id(connection_id))
    return cursor.fold(events), events


async def reset(runtime: ServiceRuntime, workspace_id: str, connection_id: str, body: rx.CursorReset, actor: Actor,
                request_id: str) -> Doc:
    """pipelines-api.txt's answer: `{success, syncState, message}`."""
    aggregate = cursor.stream_id(connection_id)
    if body.cursor is None:
        await execute(runtime, ev.CLEAR_CURSORS, aggregate, workspace_id, {"set_by": actor.id}, actor=actor,
                      request_id=request_id)
        message = "Sync cursor cleared - next sync will be a full resync"
    else:
        await execute(runtime, ev.SET_CURSOR, aggregate, workspace_id,
                      {"stream": body.stream, "cursor": body.cursor, "set_by": actor.id}, actor=actor,
                      request_id=request_id)
        message = f'Sync cursor set to {body.cursor} for stream "{body.stream}"'
    streams, _ = await current(runtime, connection_id)
    return {"success": True, "syncState": cursor.sync_state(streams), "message": message}


async def restore(runtime: ServiceRuntime, workspace_id: str, connection_id: str, version: int, actor: Actor,
                  request_id: str) -> Doc:
    await execute(runtime, ev.RESTORE_CURSORS, cursor.stream_id(connection_id), workspace_id,
                  {"to_version": version, "set_by": actor.id}, actor=actor, request_id=request_id)
    streams, events = await current(runtime, connection_id)
    return {"success": True, "syncState": cursor.sync_state(streams), "version": len(events),
            "message": f"Sync cursors restored to version {version}"}


async def clear_stream(runtime: ServiceRuntime, workspace_id: str, connection_id: str, stream: str,
                       since: str | None, actor: Actor, request_id: str) -> None:
    """One stream from nothing (a full refresh) or from `since` (a backfill)."""
    aggregate = cursor.stream_id(connection_id)
    if since is None:
        await execute(runtime, ev.CLEAR_CURSORS, aggregate, workspace_id, {"streams": [stream], "set_by": actor.id},
                      actor=actor, request_id=request_id)
    else:
        await execute(runtime, ev.SET_CURSOR, aggregate, workspace_id,
                      {"stream": stream, "cursor": since, "set_by": actor.id}, actor=actor, request_id=request_id)


def history_view(events: list[Any], limit: int, offset: int) -> Doc:
    """Each position of the cursor history, newest first: its version, what happened, and every stream's cursor."""
    entries = []
    streams: cursor.Streams = {}
    for event in events:
        streams = cursor.evolve(streams, event)
        entries.append({"version": event.version, "type": event.type, "at": event.occurred_at.isoformat(),
                        "runId": event.data.get("run_id"), "stream": event.data.get("stream"),
                        "syncState": cursor.sync_state(streams)})
    entries.reverse()
    shown = entries[offset:offset + limit]
    return {"success": True, "history": shown,
            "pagination": {"limit": limit, "offset": offset, "total": len(entries),
                           "hasMore": offset + len(shown) < len(entries)}}

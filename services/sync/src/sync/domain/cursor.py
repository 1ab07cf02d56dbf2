"""A connection's sync cursors (`cursor_<connection id>`): the per-stream state its incremental syncs start from.

Invariants:
- Each STATE message a source emits advances its stream's state (`sync.cursor_advanced`), recorded only after
  the records before it were written, so a restarted run starts from the last written checkpoint.
- A reset sets one stream's cursor to a date, or clears every stream (the next sync is a full resync); a
  refresh clears one stream.
- The stream of these events is the cursor history: the state at any earlier version can be restored (the
  restore is itself an event, so it can be undone the same way).
"""

from __future__ import annotations

from typing import Any

from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent
from sync_contracts import events as ev

Streams = dict[str, dict[str, Any]]  # stream -> {"cursor": value, "state": the source's stream state}


def stream_id(connection_id: str) -> str:
    return f"cursor_{connection_id}"


def evolve(streams: Streams, event: EventEnvelope) -> Streams:
    """The cursors after `event` (a pure fold)."""
    data = event.data
    if event.type == "sync.cursor_advanced":
        return {**streams, data["stream"]: {"cursor": data.get("cursor"), "state": data["state"]}}
    if event.type == "sync.cursor_set":
        return {**streams, data["stream"]: {"cursor": data["cursor"], "state": None}}
    if event.type == "sync.cursor_cleared":
        return {k: v for k, v in streams.items() if k not in data["streams"]}
    if event.type == "sync.cursor_restored":
        return dict(data["streams"])
    return streams


def fold(events: list[EventEnvelope], upto: int | None = None) -> Streams:
    """The cursors after the first `upto` events (all when None)."""
    streams: Streams = {}
    for event in events if upto is None else events[:upto]:
        streams = evolve(streams, event)
    return streams


def _new(event_type: str, data: dict[str, Any]) -> NewEvent:
    payload = ev.build_payload(event_type, **data)
    return NewEvent(type=event_type, data=payload, schema_version=ev.EVENT_MODELS[event_type].schema_version)


def decide(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
    streams, data = fold(events), cmd.data
    if cmd.type == ev.ADVANCE_CURSOR:
        return [_new("sync.cursor_advanced", data)]
    if cmd.type == ev.SET_CURSOR:
        return [_new("sync.cursor_set", data)]
    if cmd.type == ev.CLEAR_CURSORS:
        named = data.get("streams")
        cleared = sorted(streams) if named is None else [s for s in named if s in streams]
        return [_new("sync.cursor_cleared", {"streams": cleared, "set_by": data.get("set_by")})] if cleared else []
    if cmd.type == ev.RESTORE_CURSORS:
        version = data["to_version"]
        if version > len(events):
            raise CommandRejected("VALIDATION_ERROR", "The cursor history has no such version.",
                                  {"version": version, "latest": len(events)})
        return [_new("sync.cursor_restored", {"to_version": version, "streams": fold(events, version),
                                              "set_by": data.get("set_by")})]
    raise CommandRejected("VALIDATION_ERROR", f"unknown command type {cmd.type}")


def sync_state(streams: Streams) -> dict[str, Any]:
    """pipelines-api.txt's `syncState`: `{"version": 1, "streams": {name: {"cursor": ...}}}`."""
    return {"version": 1, "streams": {name: {"cursor": s.get("cursor")} for name, s in sorted(streams.items())}}

"""Sync run aggregate (`run_...`): one run of one connection's streams.

Invariants:
- A run is requested once (PENDING), started by a worker (RUNNING; a worker that finds it RUNNING after a crash
  starts it again with `resumed`), and ends once: COMPLETED, FAILED or CANCELLED. A finished run accepts nothing
  more: repeating its ending changes nothing, another ending is refused.
- A PENDING run may be cancelled before any worker starts it.
- Counts and per-stream results come from the command (the worker measured them); times from `occurred_at`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent
from sync_contracts import events as ev
from sync_contracts import runs as rx

ENDINGS = {ev.COMPLETE_RUN: ("sync_run.completed", rx.COMPLETED), ev.FAIL_RUN: ("sync_run.failed", rx.FAILED),
           ev.CANCEL_RUN: ("sync_run.cancelled", rx.CANCELLED)}
STATUS_OF = {"sync_run.requested": rx.PENDING, "sync_run.started": rx.RUNNING,
             **{event: status for event, status in ENDINGS.values()}}


@dataclass(frozen=True)
class Run:
    run_id: str
    connection_id: str
    status: str
    attempts: int = 0
    streams_done: tuple[str, ...] = ()

    @property
    def finished(self) -> bool:
        return self.status in rx.FINISHED


def evolve(state: Run | None, event: EventEnvelope) -> Run | None:
    if event.type == "sync_run.requested":
        return Run(event.stream_id, event.data["connection_id"], rx.PENDING)
    if state is None:
        return None
    if event.type == "sync_run.started":
        return replace(state, status=rx.RUNNING, attempts=event.data["attempt"])
    if event.type == "sync_run.stream_completed":
        return replace(state, streams_done=(*state.streams_done, event.data["stream"]))
    return replace(state, status=STATUS_OF.get(event.type, state.status))


def fold(events: list[EventEnvelope]) -> Run | None:
    state: Run | None = None
    for event in events:
        state = evolve(state, event)
    return state


def _new(event_type: str, data: dict[str, Any]) -> NewEvent:
    payload = ev.build_payload(event_type, **data)
    return NewEvent(type=event_type, data=payload, schema_version=ev.EVENT_MODELS[event_type].schema_version)


def decide(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
    """The run's next fact for `cmd`, or nothing when it is already so."""
    state = fold(events)
    if cmd.type == ev.REQUEST_RUN:
        if state is not None:
            return []
        return [_new("sync_run.requested", cmd.data)]
    if state is None:
        raise CommandRejected("NOT_FOUND", "The sync run could not be found.", {"id": cmd.aggregate_id})
    if cmd.type in ENDINGS:
        return _end(state, cmd)
    if state.finished:
        raise CommandRejected("VALIDATION_ERROR", f"The sync run is already {state.status}.",
                              {"status": state.status})
    if cmd.type == ev.START_RUN:
        return [_new("sync_run.started", {"attempt": state.attempts + 1, "resumed": state.status == rx.RUNNING})]
    if cmd.type == ev.COMPLETE_STREAM:
        return [] if cmd.data["stream"] in state.streams_done else [_new("sync_run.stream_completed", cmd.data)]
    raise CommandRejected("VALIDATION_ERROR", f"unknown command type {cmd.type}")


def _end(state: Run, cmd: CommandEnvelope) -> list[NewEvent]:
    event_type, status = ENDINGS[cmd.type]
    if state.status == status:
        return []
    if state.finished:
        raise CommandRejected("VALIDATION_ERROR", f"The sync run is already {state.status}.",
                              {"status": state.status})
    return [_new(event_type, cmd.data)]

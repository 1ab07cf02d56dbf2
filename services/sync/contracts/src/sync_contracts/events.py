"""Typed run, cursor and notification events: one payload model per event type with its `schema_version`.

- A run (`run_...`): `sync_run.requested` (connection, trigger, streams, who), `sync_run.started` (each attempt;
  `resumed` when a worker picks a RUNNING run up from its checkpoint), `sync_run.stream_completed` (a stream's
  counts), then one of `sync_run.completed | failed | cancelled` with the run's totals (a failure names the stream
  and the message or page that failed).
- A connection's cursors (`cursor_<connection id>`): `sync.cursor_advanced` (one per STATE message of a source,
  recorded only once the records before it are written), `sync.cursor_set` / `sync.cursor_cleared` (the
  documented reset), `sync.cursor_restored` (every stream's state as it stood at an earlier version). The stream's
  history is the cursor log: any earlier position can be restored.
- A notification (`ntf_...`): `sync_notification.created` on a run's completion or failure.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from junction_common.contracts.event_types import schemas_of
from sync_contracts.runs import Trigger

_CLOSED = ConfigDict(extra="forbid")

# Commands (run by the service's own executor; the gateway publishes none of them).
REQUEST_RUN, START_RUN, COMPLETE_STREAM = "sync_run.request", "sync_run.start", "sync_run.complete_stream"
COMPLETE_RUN, FAIL_RUN, CANCEL_RUN = "sync_run.complete", "sync_run.fail", "sync_run.cancel"
RUN_COMMANDS = (REQUEST_RUN, START_RUN, COMPLETE_STREAM, COMPLETE_RUN, FAIL_RUN, CANCEL_RUN)
ADVANCE_CURSOR, SET_CURSOR, CLEAR_CURSORS, RESTORE_CURSORS = (
    "sync.cursor.advance", "sync.cursor.set", "sync.cursor.clear", "sync.cursor.restore")
CURSOR_COMMANDS = (ADVANCE_CURSOR, SET_CURSOR, CLEAR_CURSORS, RESTORE_CURSORS)
NOTIFY = "sync_notification.create"


class Payload(BaseModel):
    model_config = _CLOSED
    schema_version: ClassVar[int] = 1


class Counts(BaseModel):
    model_config = _CLOSED
    rows_synced: int = 0
    rows_created: int = 0
    rows_updated: int = 0


class RunRequested(Payload):
    record: dict[str, Any] | None = None  # the run as the API shows it (the public payload's data)
    connection_id: str
    trigger: Trigger
    streams: list[str] = []
    triggered_by: str | None = None  # the user or key that asked (notifications skip them)
    full_refresh: list[str] = []  # streams read from nothing this run


class RunStarted(Payload):
    attempt: int
    resumed: bool = False


class StreamCompleted(Payload, Counts):
    stream: str
    paused: bool = False  # its table holds a schema change for approval: records kept, no row written


class StreamResult(Counts):
    paused: bool = False


class RunFinished(Payload, Counts):
    streams: dict[str, StreamResult] = {}
    record: dict[str, Any] | None = None  # the run as the API shows it once ended (the public payload's data)


class RunError(BaseModel):
    model_config = _CLOSED
    message: str
    stream: str | None = None
    page: str | None = None


class RunFailed(RunFinished):
    error: RunError


class RunCancelled(RunFinished):
    cancelled_by: str | None = None


class CursorAdvanced(Payload, Counts):
    """One STATE message: the stream's state after the records before it were written (counts: those records)."""

    run_id: str
    stream: str
    state: dict[str, Any]
    cursor: Any = None


class CursorSet(Payload):
    stream: str
    cursor: str
    set_by: str | None = None


class CursorCleared(Payload):
    streams: list[str]  # the streams whose cursors were cleared (every one, for the documented `null`)
    set_by: str | None = None


class CursorRestored(Payload):
    to_version: int
    streams: dict[str, Any]
    set_by: str | None = None


class NotificationCreated(Payload):
    run_id: str
    connection_id: str
    kind: str  # completed | failed
    status: str
    all_members: bool  # the connection names no user: every member of the workspace is told
    recipients: list[str]  # the users told, when it names some
    excluded: list[str] = []  # the user who triggered the run
    message: str


EVENT_MODELS: dict[str, type[Payload]] = {
    "sync_run.requested": RunRequested,
    "sync_run.started": RunStarted,
    "sync_run.stream_completed": StreamCompleted,
    "sync_run.completed": RunFinished,
    "sync_run.failed": RunFailed,
    "sync_run.cancelled": RunCancelled,
    "sync.cursor_advanced": CursorAdvanced,
    "sync.cursor_set": CursorSet,
    "sync.cursor_cleared": CursorCleared,
    "sync.cursor_restored": CursorRestored,
    "sync_notification.created": NotificationCreated,
}
DESCRIPTIONS = {
    "sync_run.requested": "A sync run was requested (manually, by schedule, run-all, webhook or integration).",
    "sync_run.started": "A sync run started (or resumed from its last checkpoint).",
    "sync_run.stream_completed": "One stream of a sync run finished, with its row counts.",
    "sync_run.completed": "A sync run completed, with its row counts per stream.",
    "sync_run.failed": "A sync run failed: the stream and the message or page that failed.",
    "sync_run.cancelled": "A sync run was stopped.",
    "sync.cursor_advanced": "A stream's sync cursor advanced after its records were written.",
    "sync.cursor_set": "A stream's sync cursor was set to a date.",
    "sync.cursor_cleared": "Sync cursors were cleared: the next sync is a full resync.",
    "sync.cursor_restored": "Sync cursors were restored to an earlier position.",
    "sync_notification.created": "A sync completion or failure notification was created.",
}


def build_payload(event_type: str, **parts: Any) -> dict[str, Any]:
    """The event's data as its model validates it (a shape its type does not declare is a bug: it raises)."""
    return EVENT_MODELS[event_type].model_validate(parts).model_dump(mode="json")


def json_schemas() -> list[dict[str, Any]]:
    return schemas_of(EVENT_MODELS)

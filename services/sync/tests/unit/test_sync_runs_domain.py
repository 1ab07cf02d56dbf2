"""The run and cursor aggregates, the notification rule, the schedule slots and the run's source helpers: pure."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent
from sync.app import runs_source as src
from sync.app.runs_execute import Tally
from sync.app.scheduler import scheduled_slot, slot_of
from sync.domain import cursor, run, run_notice
from sync.projections.runs import apply_run
from sync_contracts import events as ev

AT = datetime(2026, 2, 11, 10, 0, tzinfo=UTC)


def _cmd(kind: str, data: dict[str, Any], aggregate: str = "run_1") -> CommandEnvelope:
    return CommandEnvelope(type=kind, aggregate_id=aggregate, workspace_id="ws_1", data=data)


def _events(new: list[NewEvent], before: list[EventEnvelope], stream: str = "run_1") -> list[EventEnvelope]:
    out = list(before)
    for item in new:
        out.append(EventEnvelope(type=item.type, stream_id=stream, version=len(out) + 1, workspace_id="ws_1",
                                 occurred_at=AT, command_id="c", correlation_id="c", causation_id="c", data=item.data))
    return out


def _decide_all(steps: list[tuple[str, dict[str, Any]]], decide: Any = run.decide,
                stream: str = "run_1") -> list[EventEnvelope]:
    events: list[EventEnvelope] = []
    for kind, data in steps:
        events = _events(decide(_cmd(kind, data, stream), events), events, stream)
    return events


REQUEST = (ev.REQUEST_RUN, {"connection_id": "conn_1", "trigger": "MANUAL", "streams": ["items"]})
TOTALS = {"rows_synced": 3, "rows_created": 2, "rows_updated": 1, "streams": {}}


def test_a_run_goes_pending_running_completed_and_ends_once() -> None:
    events = _decide_all([REQUEST, (ev.START_RUN, {}), (ev.COMPLETE_RUN, TOTALS)])
    assert [e.type for e in events] == ["sync_run.requested", "sync_run.started", "sync_run.completed"]
    state = run.fold(events)
    assert state is not None and state.status == "COMPLETED"
    assert run.decide(_cmd(ev.COMPLETE_RUN, TOTALS), events) == []  # repeating its ending changes nothing
    with pytest.raises(CommandRejected):
        run.decide(_cmd(ev.CANCEL_RUN, {}), events)
    with pytest.raises(CommandRejected):
        run.decide(_cmd(ev.START_RUN, {}), events)


def test_a_run_found_running_is_started_again_as_resumed() -> None:
    events = _decide_all([REQUEST, (ev.START_RUN, {}), (ev.START_RUN, {})])
    assert events[-1].data == {"attempt": 2, "resumed": True}
    assert events[1].data == {"attempt": 1, "resumed": False}


def test_a_pending_run_can_be_cancelled_and_the_projection_shows_the_documented_counts() -> None:
    events = _decide_all([REQUEST, (ev.CANCEL_RUN, {"cancelled_by": "key_1"})])
    doc: dict[str, Any] | None = None
    for event in events:
        doc = apply_run(doc, event)
    assert doc is not None and doc["status"] == "CANCELLED" and doc["completed_at"] == AT.isoformat()
    assert doc["rows_synced"] == 0 and doc["cancelled_by"] == "key_1"


def test_a_failure_carries_the_stream_and_message() -> None:
    error = {"message": "page 3 answered 500", "stream": "items", "page": "3"}
    events = _decide_all([REQUEST, (ev.START_RUN, {}), (ev.FAIL_RUN, {**TOTALS, "error": error})])
    assert events[-1].data["error"] == error
    with pytest.raises(Exception):  # noqa: B017 - a shape the model does not declare is a bug in the caller
        run.decide(_cmd(ev.FAIL_RUN, {"error": {"oops": 1}}), events[:2])


def _advance(stream: str, value: str) -> tuple[str, dict[str, Any]]:
    return ev.ADVANCE_CURSOR, {"run_id": "run_1", "stream": stream, "state": {"updated_at": value},
                               "cursor": value, "rows_synced": 1, "rows_created": 1, "rows_updated": 0}


def test_cursor_history_restores_any_earlier_position() -> None:
    steps = [_advance("items", "2026-01-01"), _advance("deals", "2026-01-05"), _advance("items", "2026-01-09"),
             (ev.CLEAR_CURSORS, {})]
    events = _decide_all(steps, cursor.decide, "cursor_conn_1")
    assert cursor.fold(events) == {}
    restored = cursor.decide(_cmd(ev.RESTORE_CURSORS, {"to_version": 2}, "cursor_conn_1"), events)
    assert restored[0].data["streams"] == {"items": {"cursor": "2026-01-01", "state": {"updated_at": "2026-01-01"}},
                                           "deals": {"cursor": "2026-01-05", "state": {"updated_at": "2026-01-05"}}}
    events = _events(restored, events, "cursor_conn_1")
    assert cursor.sync_state(cursor.fold(events)) == {
        "version": 1, "streams": {"deals": {"cursor": "2026-01-05"}, "items": {"cursor": "2026-01-01"}}}
    with pytest.raises(CommandRejected):
        cursor.decide(_cmd(ev.RESTORE_CURSORS, {"to_version": 99}, "cursor_conn_1"), events)


def test_a_cursor_set_by_date_becomes_the_streams_state_in_its_own_format() -> None:
    events = _decide_all([(ev.SET_CURSOR, {"stream": "items", "cursor": "2026-01-01T00:00:00.000Z"})],
                         cursor.decide, "cursor_conn_1")
    catalog = {"streams": [{"stream": {"name": "items", "default_cursor_field": ["updated_at"]},
                            "sync_mode": "incremental", "cursor_field": ["updated_at"]}]}
    state = src.saved_state(catalog, cursor.fold(events), {"items": "%Y-%m-%dT%H:%M:%SZ"})
    assert state == [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "items"},
                                                   "stream_state": {"updated_at": "2026-01-01T00:00:00Z"}}}]
    catalog["streams"][0]["sync_mode"] = "full_refresh"
    assert src.saved_state(catalog, cursor.fold(events), {}) == []


def test_state_messages_and_cursor_values() -> None:
    message = {"type": "STATE", "state": {"type": "STREAM", "stream": {
        "stream_descriptor": {"name": "items"}, "stream_state": {"updated_at": "2026-01-02T00:00:00Z"}}}}
    assert src.state_of(message) == ("items", {"updated_at": "2026-01-02T00:00:00Z"})
    assert src.state_of({"type": "STATE", "state": {"data": {"x": 1}}}) == ("", {"x": 1})
    assert src.cursor_value({"updated_at": "a", "other": "b"}, "updated_at") == "a"
    assert src.cursor_value({"nested": {"a": 1}, "n": 5}, None) == 5


def test_streams_are_incremental_where_they_can_be_and_not_when_refreshed() -> None:
    discovered = {"streams": [{"name": "items", "supported_sync_modes": ["full_refresh", "incremental"]},
                              {"name": "deals", "supported_sync_modes": ["full_refresh"]}]}
    assert src.wanted(src.streams_of(discovered, []), []) == [
        {"name": "items", "sync_mode": "incremental", "destination_sync_mode": "append_dedup"},
        {"name": "deals", "sync_mode": "full_refresh", "destination_sync_mode": "append_dedup"}]
    assert src.wanted(src.streams_of(discovered, ["items"]), ["items"])[0]["sync_mode"] == "full_refresh"
    with pytest.raises(ValueError, match="nope"):
        src.streams_of(discovered, ["nope"])


def test_notifications_skip_the_user_who_triggered_the_run() -> None:
    assert run_notice.recipients(["u1", "u2"], "u1") == {"all_members": False, "excluded": ["u1"],
                                                         "recipients": ["u2"]}
    assert run_notice.recipients([], "u1") == {"all_members": True, "excluded": ["u1"], "recipients": []}
    assert run_notice.recipients(["u1"], "u1")["all_members"] is False  # only the triggering user: nobody


@pytest.mark.parametrize(("frequency", "slot"), [("hourly", "2026-02-11T10"), ("daily", "2026-02-11"),
                                                 ("weekly", "2026-W07"), ("monthly", "2026-02"), ("yearly", None)])
def test_schedule_slots(frequency: str, slot: str | None) -> None:
    assert slot_of(frequency, AT) == slot


def test_only_enabled_schedules_have_a_slot() -> None:
    assert scheduled_slot({"schedule": {"enabled": True, "frequency": "daily"}}, AT) == "2026-02-11"
    assert scheduled_slot({"schedule": {"enabled": False, "frequency": "daily"}}, AT) is None
    assert scheduled_slot({"schedule": {"enabled": True, "frequency": "daily"}, "deleted": True}, AT) is None
    assert scheduled_slot({}, AT) is None


def test_a_runs_tally_counts_rows_per_stream_saved_at_each_checkpoint() -> None:
    tally = Tally()
    tally.add(tally.unsaved, "items", 3, 1)
    tally.add(tally.unsaved, "deals", 2, 0)
    assert tally.take("items") == {"rows_synced": 4, "rows_created": 3, "rows_updated": 1}
    assert tally.take("items") == {"rows_synced": 0, "rows_created": 0, "rows_updated": 0}  # nothing since
    tally.paused.add("deals")
    totals = tally.totals()
    assert (totals["rows_synced"], totals["rows_created"], totals["rows_updated"]) == (6, 5, 1)
    assert totals["streams"]["deals"] == {"rows_synced": 2, "rows_created": 2, "rows_updated": 0, "paused": True}
    assert totals["streams"]["items"]["paused"] is False

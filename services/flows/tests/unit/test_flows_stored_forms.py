"""The stored forms that keep nx-27017's documents small: an execution commit's events, the executions read model's
large parts and a run-queue row's start are kept as JSON text and read back as the values they were (documents
stored before, unpacked, read as they are)."""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json

from flows.engine.runs import start_of
from flows.projections.executions import PACKED, packed, unpacked
from junction_common.store.event_store import commit_events, packed_events, stored_commit

VIEW: dict[str, Any] = {
    "_id": "exec_1", "_version": 7, "status": "completed", "output": "a text output stays a value",
    "trigger": {"type": "webhook", "data": {"body": {"email": "a@example.com"}}},
    "steps": [{"step": "send", "output": {"status": 200}, "error": None}],
    "logs": [{"at": "2026-12-01T00:00:00+00:00", "level": "info", "step": None, "message": "execution started"}]}


def test_the_read_models_large_parts_are_stored_as_text_and_read_back() -> None:
    stored = packed(VIEW)
    assert all(isinstance(stored[k], str) for k in PACKED)
    assert stored["output"] == VIEW["output"] and stored["status"] == "completed"
    assert unpacked(stored) == VIEW
    assert packed(stored) == stored  # packing twice changes nothing


def test_a_read_model_document_stored_before_is_read_as_it_is() -> None:
    assert unpacked(VIEW) == VIEW


def test_a_run_rows_start_is_read_from_text_or_from_a_document() -> None:
    start = {"data": {"workflow_id": "wf_1", "definition": {"nodes": [], "edges": []}}, "actor": {"kind": "system"}}
    assert start_of({"start": to_json(start).decode()}) == start
    assert start_of({"start": start}) == start


def test_a_packed_commit_gives_back_its_events_byte_for_byte() -> None:
    events = [{"event_id": "evt_1", "type": "execution.started", "version": 1, "data": {"trigger": {"n": 1.5}}},
              {"event_id": "evt_2", "type": "execution.completed", "version": 2, "data": {"output": None}}]
    commit = stored_commit("exec_1", 0, "cmd_exec_1@0", "ws_1", events, None)
    stored = packed_events(commit)
    assert isinstance(stored["events"], str) and commit_events(stored) == events
    assert [to_json(e) for e in commit_events(stored)] == [to_json(e) for e in events]  # what the relay sends
    assert commit_events(commit) == events

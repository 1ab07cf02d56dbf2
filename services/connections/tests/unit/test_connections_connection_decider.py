"""The connection aggregate: given events, when a command, then events (no broker, no clock)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connections.domain.connection import decide, fold
from connections.projections.connections import apply_connection
from connections_contracts import connection as cx
from connections_contracts.events import EVENT_MODELS, json_schemas
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent

SEALED = {"kid": "k1", "wrapped_key": "d3JhcA==", "nonce": "bm9uY2U=", "ciphertext": "Y2lwaGVy"}
AT = "2026-05-01T10:00:00+00:00"


def command(kind: str, **data: Any) -> CommandEnvelope:
    return CommandEnvelope(type=kind, aggregate_id="conn_1", workspace_id="ws_1", data=data)


def created(status: str = cx.CONNECTED) -> dict[str, Any]:
    record = {"name": "Production CRM", "provider": "acme", "connector_type": "CRM_PLATFORM", "origin": "pipelines",
              "credential_fields": ["apiKey"], "credential_preview": "…abcd", "notify_user_ids": ["u1"]}
    return {"record": record, "status": status, "last_error": None if status == cx.CONNECTED else "refused (401)",
            "last_checked_at": AT, "credentials_sealed": SEALED}


def stored(new: list[NewEvent], before: list[EventEnvelope] | None = None) -> list[EventEnvelope]:
    before = list(before or [])
    return before + [EventEnvelope(type=e.type, schema_version=e.schema_version, stream_id="conn_1",
                                   version=len(before) + i + 1, workspace_id="ws_1",
                                   occurred_at=datetime(2026, 5, 1, 10, i, tzinfo=UTC), command_id="c",
                                   correlation_id="c", causation_id="c", data=e.data)
                     for i, e in enumerate(new)]


def history(*commands: CommandEnvelope) -> list[EventEnvelope]:
    events: list[EventEnvelope] = []
    for cmd in commands:
        events = stored(decide(cmd, events), events)
    return events


def test_a_create_holds_the_sealed_credentials_apart_from_the_record() -> None:
    [event] = decide(command(cx.CREATE, **created()), [])
    assert event.type == "connection.created" and event.data["credentials_sealed"] == SEALED
    record = event.data["record"]
    assert record["status"] == cx.CONNECTED and record["connected_at"] == AT and record["deleted"] is False
    assert "credentials_sealed" not in record
    EVENT_MODELS[event.type].model_validate(event.data)


def test_a_failed_test_makes_an_error_connection_with_its_reason() -> None:
    [event] = decide(command(cx.CREATE, **created(cx.ERROR)), [])
    assert event.data["record"]["status"] == cx.ERROR and event.data["record"]["last_error"] == "refused (401)"
    assert "connected_at" not in event.data["record"]


def test_a_secret_in_the_record_is_refused_by_the_model() -> None:
    data = created()
    data["record"]["apiKey"] = "sk_live_secret"
    with pytest.raises(ValueError):
        decide(command(cx.CREATE, **data), [])


def test_created_twice_is_refused() -> None:
    with pytest.raises(CommandRejected):
        decide(command(cx.CREATE, **created()), history(command(cx.CREATE, **created())))


def test_a_check_records_status_error_and_time() -> None:
    events = history(command(cx.CREATE, **created()))
    [event] = decide(command(cx.RECORD_CHECK, status=cx.ERROR, last_error="The provider answered 500.",
                             last_checked_at="2026-05-02T00:00:00+00:00"), events)
    assert event.type == "connection.checked"
    assert event.data["changes"] == {"status": cx.ERROR, "last_error": "The provider answered 500.",
                                     "last_checked_at": "2026-05-02T00:00:00+00:00"}
    state = fold(stored([event], events))
    assert state is not None and state.status == cx.ERROR and state.credentials_sealed == SEALED


def test_disconnect_erases_the_credentials_and_keeps_the_history() -> None:
    events = history(command(cx.CREATE, **created()), command(cx.DISCONNECT))
    assert [e.type for e in events] == ["connection.created", "connection.disconnected"]
    state = fold(events)
    assert state is not None and state.credentials_sealed is None and state.status == cx.DISCONNECTED
    assert state.record["credential_preview"] is None
    assert decide(command(cx.DISCONNECT), events) == []  # twice changes nothing
    with pytest.raises(CommandRejected):  # a disconnected connection is connected only by new credentials
        decide(command(cx.RECORD_CHECK, status=cx.CONNECTED, last_checked_at=AT), events)


def test_new_credentials_connect_a_disconnected_connection_again() -> None:
    events = history(command(cx.CREATE, **created()), command(cx.DISCONNECT))
    other = {**SEALED, "ciphertext": "bmV3"}
    [event] = decide(command(cx.RECONNECT, status=cx.CONNECTED, last_checked_at=AT, credential_fields=["apiKey"],
                             credential_preview="…wxyz", credentials_sealed=other), events)
    assert event.type == "connection.credentials_replaced" and event.data["credentials_sealed"] == other
    state = fold(stored([event], events))
    assert state is not None and state.status == cx.CONNECTED and state.credentials_sealed == other


def test_update_changes_only_what_differs() -> None:
    events = history(command(cx.CREATE, **created()))
    assert decide(command(cx.UPDATE, notify_user_ids=["u1"]), events) == []
    [event] = decide(command(cx.UPDATE, notify_user_ids=[], name="Renamed"), events)
    assert event.data["changes"] == {"notify_user_ids": [], "name": "Renamed"}


def test_deleted_accepts_nothing_more() -> None:
    events = history(command(cx.CREATE, **created()), command(cx.DELETE))
    state = fold(events)
    assert state is not None and state.deleted and state.credentials_sealed is None
    assert decide(command(cx.DELETE), events) == []
    for kind in (cx.UPDATE, cx.DISCONNECT, cx.RECORD_CHECK):
        with pytest.raises(CommandRejected) as refused:
            decide(command(kind, name="x", status=cx.CONNECTED), events)
        assert refused.value.code == "NOT_FOUND"


def test_the_projection_replayed_equals_incremental_and_drops_the_secret() -> None:
    events = history(command(cx.CREATE, **created()), command(cx.UPDATE, name="B"),
                     command(cx.RECORD_CHECK, status=cx.CONNECTED, last_checked_at=AT), command(cx.DISCONNECT))
    doc: dict[str, Any] | None = None
    docs = []
    for event in events:
        doc = apply_connection(doc, event)
        docs.append(doc)
    assert docs[0]["credentials_sealed"] == SEALED and docs[-1]["credentials_sealed"] is None
    assert docs[-1]["name"] == "B" and docs[-1]["status"] == cx.DISCONNECTED
    again: dict[str, Any] | None = None
    for event in events:
        again = apply_connection(again, event)
    assert again == doc


def test_every_type_has_a_schema() -> None:
    assert {s["type"] for s in json_schemas()} == set(EVENT_MODELS)

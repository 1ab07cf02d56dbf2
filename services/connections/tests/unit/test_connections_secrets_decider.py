"""The connection aggregate's webhook token, variant group, refused refresh, revocation outcome and key rotation:
given events, when a command, then events; the projection folds them to what the fold says."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connections.app.inbound_tokens import CURRENT_FORMAT, issue_token, new_token, open_token, token_hash
from connections.domain.connection import decide, fold
from connections.projections.connections import apply_connection
from connections_contracts import connection as cx
from connections_contracts.event_types import EVENT_TYPES
from connections_contracts.events import EVENT_MODELS
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent
from junction_common.vault import Vault

SEALED = {"kid": "k1", "wrapped_key": "d3JhcA==", "nonce": "bm9uY2U=", "ciphertext": "Y2lwaGVy"}
AT = "2026-05-01T10:00:00+00:00"


def command(kind: str, **data: Any) -> CommandEnvelope:
    return CommandEnvelope(type=kind, aggregate_id="conn_1", workspace_id="ws_1", data=data)


def created() -> dict[str, Any]:
    record = {"name": "Production CRM", "provider": "acme", "connector_type": "CRM_PLATFORM", "origin": "pipelines",
              "credential_fields": ["apiKey"], "credential_preview": "…abcd"}
    return {"record": record, "status": cx.CONNECTED, "last_error": None, "last_checked_at": AT,
            "credentials_sealed": SEALED}


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


K1, K2 = b"1" * 32, b"2" * 32
TOKEN = {"hash": "h" * 64, "format": CURRENT_FORMAT, "prefix": "abcd...", "sealed": {**SEALED, "kid": "k1"}}


def made(**extra: Any) -> list[EventEnvelope]:
    return history(command(cx.CREATE, **created(), **extra))


def projected(events: list[EventEnvelope]) -> dict[str, Any]:
    doc: dict[str, Any] | None = None
    for event in events:
        doc = apply_connection(doc, event)
    assert doc is not None
    return doc


def test_a_created_connection_holds_its_token_apart_and_shows_only_its_prefix() -> None:
    events = made(webhook_token=TOKEN)
    EVENT_MODELS["connection.created"].model_validate(events[0].data)
    assert events[0].data["record"]["webhook_token_prefix"] == "abcd..."
    doc = projected(events)
    assert doc["webhook_token_hash"] == TOKEN["hash"] and doc["webhook_token_sealed"] == TOKEN["sealed"]
    assert fold(events).webhook_token == TOKEN  # type: ignore[union-attr]


def test_a_token_is_issued_to_a_connection_without_one_and_only_a_newer_format_replaces_it() -> None:
    events = made()
    assert fold(events).webhook_token is None  # type: ignore[union-attr]
    [issued] = decide(command(cx.ISSUE_WEBHOOK_TOKEN, webhook_token=TOKEN), events)
    assert issued.type == "connection.webhook_token_issued"
    events = stored([issued], events)
    assert projected(events)["webhook_token_hash"] == TOKEN["hash"]
    assert decide(command(cx.ISSUE_WEBHOOK_TOKEN, webhook_token={**TOKEN, "hash": "x" * 64}), events) == []


def test_a_reveal_is_recorded_as_an_event_and_needs_a_token() -> None:
    with pytest.raises(CommandRejected):
        decide(command(cx.REVEAL_WEBHOOK_URL, upgraded=False), made())
    [event] = decide(command(cx.REVEAL_WEBHOOK_URL, upgraded=True), made(webhook_token=TOKEN))
    assert event.type == "connection.webhook_url_revealed" and event.data["upgraded"] is True


def test_joining_a_variant_group_happens_once() -> None:
    data = {"variant_group_id": "vgrp_1", "variant_label": "1", "config": {"variantGroupId": "vgrp_1",
                                                                          "createOwnTables": False}}
    [event] = decide(command(cx.JOIN_VARIANT_GROUP, **data), made())
    events = stored([event], made())
    assert projected(events)["variant_group_id"] == "vgrp_1" and projected(events)["variant_label"] == "1"
    assert decide(command(cx.JOIN_VARIANT_GROUP, **{**data, "variant_group_id": "vgrp_2"}), events) == []


def test_a_refused_refresh_token_marks_error_and_a_disconnected_one_records_nothing() -> None:
    check = {"status": cx.ERROR, "last_error": "refused", "last_checked_at": "2026-05-01T11:00:00+00:00"}
    [event] = decide(command(cx.MARK_CREDENTIALS_INVALID, **check), made())
    assert event.type == "connection.credentials_invalid" and event.data["record"]["status"] == cx.ERROR
    assert projected(stored([event], made()))["last_error"] == "refused"
    gone = history(command(cx.CREATE, **created()), command(cx.DISCONNECT))
    assert decide(command(cx.MARK_CREDENTIALS_INVALID, **check), gone) == []
    assert "connection.credentials_invalid" in {t.key for t in EVENT_TYPES}


def test_the_revocation_outcome_is_recorded_on_the_ending_event() -> None:
    [event] = decide(command(cx.DISCONNECT, provider_revoke="failed", provider_revoke_error="unavailable"), made())
    assert event.data["changes"]["provider_revoke"] == "failed"
    doc = projected(stored([event], made()))
    assert doc["credentials_sealed"] is None and doc["provider_revoke_error"] == "unavailable"


def test_a_rotation_rewraps_only_the_secrets_it_read() -> None:
    events = made(webhook_token=TOKEN)
    rewrapped = {**SEALED, "kid": "k2", "wrapped_key": "bmV3"}
    [event] = decide(command(cx.ROTATE_KEYS, credentials_sealed=rewrapped,
                             webhook_token_sealed={**TOKEN["sealed"], "kid": "k2"}), events)
    doc = projected(stored([event], events))
    assert doc["credentials_sealed"]["kid"] == "k2" and doc["webhook_token_sealed"]["kid"] == "k2"
    state = fold(stored([event], events))
    assert state is not None and state.webhook_token is not None and state.webhook_token["sealed"]["kid"] == "k2"
    other = {**rewrapped, "ciphertext": "b3RoZXI="}  # the credentials changed since they were read
    assert decide(command(cx.ROTATE_KEYS, credentials_sealed=other), events) == []


def test_tokens_are_random_hashed_and_open_only_for_their_connection() -> None:
    assert len({new_token() for _ in range(50)}) == 50 and len(new_token()) == 43
    vault = Vault({"k1": K1, "k2": K2}, "k1")
    issued = issue_token(vault, "ws_1", "conn_1")
    assert issued.held["hash"] == token_hash(issued.plain) and issued.plain not in str(issued.held)
    doc = {"_id": "conn_1", "workspace_id": "ws_1", "webhook_token_sealed": issued.held["sealed"]}
    assert open_token(vault, doc) == issued.plain
    with pytest.raises(Exception):  # noqa: B017 - the vault refuses a copy moved to another connection
        open_token(vault, {**doc, "_id": "conn_2"})

"""A webhook trigger's key rotation, pure: the re-wrap of the secret held is recorded and folded into the read
model; one of another secret, or of a deleted trigger, records nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flows.domain import trigger
from flows.projections.triggers import apply_trigger
from flows_contracts import triggers as tx
from junction_common.envelope import CommandEnvelope, EventEnvelope, stamp

T0 = datetime(2026, 12, 1, tzinfo=UTC)
K1 = {"kid": "k1", "wrapped_key": "d3JhcA==", "nonce": "bm9uY2U=", "ciphertext": "Y2lwaGVy"}
K2 = {**K1, "kid": "k2", "wrapped_key": "bmV3"}  # the same secret re-wrapped under k2
OTHER = {**K2, "ciphertext": "b3RoZXI="}


def _cmd(kind: str, **data: Any) -> CommandEnvelope:
    return CommandEnvelope(type=kind, aggregate_id="trg_1", workspace_id="ws", data=data)


def _then(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[EventEnvelope]:
    decide = trigger.DECIDERS[cmd.type]
    return events + stamp(cmd, decide(cmd, events), "trg_1", len(events), T0 + timedelta(minutes=len(events)))


def _created() -> list[EventEnvelope]:
    record = {"flow_id": "wf_1", "kind": "webhook", "token_hash": "ab" * 32, "has_secret": True, "secret_sealed": K1}
    return _then(_cmd(tx.CREATE_TRIGGER, record=record), [])


def _fold(events: list[EventEnvelope]) -> dict[str, Any]:
    doc: dict[str, Any] | None = None
    for event in events:
        doc = apply_trigger(doc, event)
    assert doc is not None
    return doc


def test_the_secret_held_is_re_wrapped_once_and_folded() -> None:
    events = _then(_cmd(tx.ROTATE_TRIGGER_KEYS, secret_sealed=K2), _created())
    assert [e.type for e in events] == [tx.TRIGGER_CREATED, tx.TRIGGER_KEYS_ROTATED]
    assert events[-1].data["changes"] == {"secret_sealed": K2} and events[-1].data["record"]["secret_sealed"] == K2
    assert _fold(events)["secret_sealed"] == K2 and _fold(events)["status"] == "active"
    assert _then(_cmd(tx.ROTATE_TRIGGER_KEYS, secret_sealed=K2), events) == events


def test_another_secret_or_a_deleted_trigger_records_nothing() -> None:
    created = _created()
    assert _then(_cmd(tx.ROTATE_TRIGGER_KEYS, secret_sealed=OTHER), created) == created
    deleted = _then(_cmd(tx.DELETE_TRIGGER), created)
    assert _then(_cmd(tx.ROTATE_TRIGGER_KEYS, secret_sealed=K2), deleted) == deleted

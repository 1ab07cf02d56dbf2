"""Key rotation of a webhook endpoint, pure: its current and previous sealed secrets re-wrapped (the same
ciphertexts), a secret replaced since left as it is, and the read model folding the re-wrap without showing a
change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent
from webhooks.domain import endpoint
from webhooks.projections import apply_endpoint
from webhooks_contracts import declarations as wh

START = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
OLD = {"kid": "k1", "wrapped_key": "d2s=", "nonce": "bm9uY2U=", "ciphertext": "b2xk"}
CURRENT = {**OLD, "ciphertext": "bmV3"}
CREATE = {"name": "Ops", "url": "https://example.com/hook", "event_types": ["contact.*"], "secret_sealed": OLD,
          "signing_secret_preview": "whsec_abcd...wxyz"}


def rewrapped(sealed: dict[str, str]) -> dict[str, str]:
    return {**sealed, "kid": "k2", "wrapped_key": "azI="}


def _stored(new: list[NewEvent], before: list[EventEnvelope], at: datetime) -> list[EventEnvelope]:
    return before + [EventEnvelope(type=e.type, schema_version=e.schema_version, stream_id="wh_1",
                                   version=len(before) + i + 1, workspace_id="wrk_1", occurred_at=at,
                                   command_id="c", correlation_id="c", causation_id="c", data=e.data)
                     for i, e in enumerate(new)]


def _run(kind: str, events: list[EventEnvelope], hours: int, **data: Any) -> list[EventEnvelope]:
    at = START + timedelta(hours=hours)
    cmd = CommandEnvelope(type=kind, aggregate_id="wh_1", workspace_id="wrk_1", issued_at=at, data=data)
    return _stored(endpoint.decide(cmd, events), events, at)


def _history() -> list[EventEnvelope]:
    """Created with OLD, then rotated to CURRENT with a day's overlap (OLD still signs)."""
    events = _run(wh.CREATE_ENDPOINT, [], 0, **CREATE)
    return _run(wh.ROTATE_SECRET, events, 1, secret_sealed=CURRENT, signing_secret_preview="...et", overlap_s=86400)


def _folded(events: list[EventEnvelope]) -> dict[str, Any]:
    doc: dict[str, Any] | None = None
    for event in events:
        doc = apply_endpoint(doc, event)
    assert doc is not None
    return doc


def test_the_current_and_previous_secrets_are_re_wrapped_and_folded_without_a_visible_change() -> None:
    events = _history()
    previous = [{**p, "secret_sealed": rewrapped(p["secret_sealed"])} for p in _folded(events)["previous_secrets"]]
    after = _run(wh.ROTATE_KEYS, events, 2, secret_sealed=rewrapped(CURRENT), previous_secrets=previous)
    rotated = after[-1]
    assert rotated.type == "webhook_endpoint.keys_rotated" and rotated.data["changes"] == {}
    assert rotated.data["secret_sealed"] == rewrapped(CURRENT) and rotated.data["previous_secrets"] == previous
    state = endpoint.fold(after)
    assert state is not None and state.fields["secret_sealed"] == rewrapped(CURRENT)
    assert state.previous_secrets == previous
    before, doc = _folded(events), _folded(after)
    assert doc == {**before, "secret_sealed": rewrapped(CURRENT), "previous_secrets": previous}
    assert _run(wh.ROTATE_KEYS, after, 3, secret_sealed=rewrapped(CURRENT), previous_secrets=previous) == after


def test_a_secret_replaced_since_the_read_is_left_as_it_is() -> None:
    events = _run(wh.CREATE_ENDPOINT, [], 0, **CREATE)
    replaced = _run(wh.ROTATE_SECRET, events, 1, secret_sealed=CURRENT, signing_secret_preview="...et", overlap_s=0)
    assert _run(wh.ROTATE_KEYS, replaced, 2, secret_sealed=rewrapped(OLD)) == replaced

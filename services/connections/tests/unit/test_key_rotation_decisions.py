"""Key rotation of tenant integrations and provider webhook subscriptions, pure: a re-wrap of the secret held is
recorded, one of a secret replaced (or erased) since is not, and the read model folds the re-wrap."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connections.domain import tenant_integration
from connections.domain.provider_webhooks import decide_subscription
from connections.projections.provider_webhooks import apply_subscription
from connections.projections.tenant_integrations import apply_tenant_integration
from connections_contracts import provider_webhooks as pw
from connections_contracts import tenant_integrations as ti
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent

K1 = {"kid": "k1", "wrapped_key": "d3JhcA==", "nonce": "bm9uY2U=", "ciphertext": "Y2lwaGVy"}
K2 = {**K1, "kid": "k2", "wrapped_key": "bmV3d3JhcA=="}  # the same secret, re-wrapped under k2
OTHER = {**K2, "ciphertext": "b3RoZXI="}  # another secret, sealed under k2
RECORD = {"service": "klaviyo", "name": "Klaviyo", "enabled": True, "settings": {}, "secret_settings": ["apiKey"],
          "synchronizations": [], "key_preview": "…abcd"}
SUBSCRIPTION = {"provider": "slack", "url": "https://x.example", "events": ["message"], "status": pw.ACTIVE,
                "registration": "manual", "token_hash": "0" * 64, "signing": {"scheme": "slack"}}


def _cmd(kind: str, stream: str, **data: Any) -> CommandEnvelope:
    return CommandEnvelope(type=kind, aggregate_id=stream, workspace_id="ws_1", data=data)


def _stored(new: list[NewEvent], before: list[EventEnvelope], stream: str) -> list[EventEnvelope]:
    return before + [EventEnvelope(type=e.type, schema_version=e.schema_version, stream_id=stream,
                                   version=len(before) + i + 1, workspace_id="ws_1",
                                   occurred_at=datetime(2026, 5, 1, 10, len(before) + i, tzinfo=UTC),
                                   command_id="c", correlation_id="c", causation_id="c", data=e.data)
                     for i, e in enumerate(new)]


def _folded(apply: Any, events: list[EventEnvelope]) -> dict[str, Any]:
    doc: dict[str, Any] | None = None
    for event in events:
        doc = apply(doc, event)
    assert doc is not None
    return doc


def _integration() -> list[EventEnvelope]:
    made = tenant_integration.decide(_cmd(ti.CREATE, "int_1", record=RECORD, settings_sealed=K1, key_hash="1" * 64),
                                     [])
    return _stored(made, [], "int_1")


def test_an_integrations_sealed_settings_are_re_wrapped_once_and_the_read_model_folds_it() -> None:
    events = _integration()
    [rotated] = tenant_integration.decide(_cmd(ti.ROTATE_KEYS, "int_1", settings_sealed=K2), events)
    assert rotated.type == "tenant_integration.keys_rotated" and rotated.data["settings_sealed"] == K2
    assert rotated.data["changes"] == {} and rotated.data["record"] == {**RECORD, "deleted": False}
    events = _stored([rotated], events, "int_1")
    state = tenant_integration.fold(events)
    assert state is not None and state.settings_sealed == K2
    doc = _folded(apply_tenant_integration, events)
    assert doc["settings_sealed"] == K2 and doc["updated_at"] == events[0].occurred_at.isoformat()
    assert tenant_integration.decide(_cmd(ti.ROTATE_KEYS, "int_1", settings_sealed=K2), events) == []


def test_a_re_wrap_of_settings_replaced_or_erased_since_records_nothing() -> None:
    events = _integration()
    updated = tenant_integration.decide(_cmd(ti.UPDATE, "int_1", changes={}, settings_sealed=OTHER), events)
    events = _stored(updated, events, "int_1")
    assert tenant_integration.decide(_cmd(ti.ROTATE_KEYS, "int_1", settings_sealed=K2), events) == []
    deleted = _stored(tenant_integration.decide(_cmd(ti.DELETE, "int_1"), _integration()), _integration(), "int_1")
    state = tenant_integration.fold(deleted)
    assert state is not None and state.settings_sealed is None


def _subscription(**sealed: Any) -> list[EventEnvelope]:
    made = decide_subscription(_cmd(pw.SUBSCRIBE, "pws_1", record=SUBSCRIPTION, **sealed), [])
    return _stored(made, [], "pws_1")


def test_a_subscriptions_secret_is_re_wrapped_and_the_read_model_folds_it() -> None:
    events = _subscription(secret_sealed=K1)
    [rotated] = decide_subscription(_cmd(pw.ROTATE_KEYS, "pws_1", secret_sealed=K2), events)
    assert rotated.type == "provider_webhook_subscription.keys_rotated"
    assert rotated.data == {"record": SUBSCRIPTION, "changes": {}, "secret_sealed": K2}
    events = _stored([rotated], events, "pws_1")
    doc = _folded(apply_subscription, events)
    assert doc["secret_sealed"] == K2 and doc["updated_at"] == events[0].occurred_at.isoformat()
    assert decide_subscription(_cmd(pw.ROTATE_KEYS, "pws_1", secret_sealed=K2), events) == []


def test_a_subscription_re_wrap_of_another_secret_or_after_a_delete_records_nothing() -> None:
    events = _subscription(secret_sealed=K1)
    assert decide_subscription(_cmd(pw.ROTATE_KEYS, "pws_1", secret_sealed=OTHER), events) == []
    gone = _stored(decide_subscription(_cmd(pw.UNSUBSCRIBE, "pws_1"), events), events, "pws_1")
    assert decide_subscription(_cmd(pw.ROTATE_KEYS, "pws_1", secret_sealed=K2), gone) == []

"""`provider_webhook.received` carries where the webhooks service forwards it and the sealed secret it signs with;
no public payload of the event (a workspace endpoint's delivery, a flow trigger) shows either."""

from __future__ import annotations

import json
from pathlib import Path

from connections.domain.provider_webhooks import build
from connections.projections.provider_webhooks import apply_subscription
from connections_contracts import provider_webhooks as pw
from junction_common.contracts.public_events import public_payload
from junction_common.envelope import EventEnvelope, utcnow

SEALED = {"kid": "dev1", "wrapped_key": "d2s=", "nonce": "bm9uY2U=", "ciphertext": "Y2lwaGVy"}
SEALED_FIXTURE = {"kid": "k1", "wrapped_key": "d3JhcA==", "nonce": "bm9uY2U=", "ciphertext": "Y2lwaGVy"}


def test_the_forwarding_fields_are_kept_in_the_event_and_hidden_from_public_payloads() -> None:
    made = build("provider_webhook.received", subscription_id="pws_1", provider="slack", event_type="message",
                 delivery_id="Ev1", body={"a": 1}, deliver_to="https://example.com/mine", secret_sealed=SEALED)
    assert made.data["deliver_to"] == "https://example.com/mine" and made.data["secret_sealed"] == SEALED
    event = EventEnvelope(type=made.type, stream_id="pwd_1", version=1, workspace_id="ws_1", occurred_at=utcnow(),
                          command_id="c", correlation_id="c", causation_id="c", data=made.data)
    payload = json.loads(public_payload(event))
    assert payload["data"] == {"id": "pwd_1", "subscription_id": "pws_1", "provider": "slack",
                               "event_type": "message", "delivery_id": "Ev1", "body": {"a": 1}}


def test_a_delivery_without_a_url_to_forward_to_records_neither_field() -> None:
    made = build("provider_webhook.received", subscription_id="pws_1", provider="slack", event_type=None,
                 delivery_id=None, body=None)
    assert "deliver_to" not in made.data and "secret_sealed" not in made.data


FIXTURES = Path(__file__).parents[1] / "fixtures" / "events" / "provider_webhooks_v1.json"


def test_every_stored_version_still_loads_and_every_type_has_a_fixture() -> None:
    stored = json.loads(FIXTURES.read_text(encoding="utf-8"))
    assert {e["type"] for e in stored} == set(pw.EVENT_MODELS)
    for event in stored:
        model = pw.EVENT_MODELS[event["type"]]
        assert event["schema_version"] <= model.schema_version
        model.model_validate(event["data"])


def test_the_subscription_fold_keeps_the_forwarding_secret_until_deleted() -> None:
    stored = [e for e in json.loads(FIXTURES.read_text(encoding="utf-8")) if e["type"] != "provider_webhook.received"]
    doc = None
    for version, event in enumerate(stored[1:], start=1):
        envelope = EventEnvelope(type=event["type"], stream_id="pws_1", version=version, workspace_id="ws_1",
                                 occurred_at=utcnow(), command_id="c", correlation_id="c", causation_id="c",
                                 data=event["data"])
        doc = apply_subscription(doc, envelope)
        if event["type"].endswith((".created", ".secret_received")):
            assert doc["forward_secret_sealed"] == SEALED_FIXTURE
    assert doc is not None and doc["status"] == "DELETED"
    assert doc["forward_secret_sealed"] is None and doc["secret_sealed"] is None

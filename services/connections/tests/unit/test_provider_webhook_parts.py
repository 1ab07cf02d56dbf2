"""The pure parts of provider webhooks: a delivery's id and event type, the registration request built from the
manifest, and the deciders (a delivery recorded once; a subscription deleted once)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connections.catalogue.manifest import WebhookRegistration
from connections.domain.provider_webhooks import decide_delivery, decide_subscription
from connections.inbound import delivery
from connections.projections.provider_webhooks import apply_delivery, apply_subscription
from connections.subscriptions.registration import fill, request_of
from connections_contracts import provider_webhooks as pw
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent


def test_delivery_ids_and_event_types_from_the_usual_places() -> None:
    stripe = {"id": "evt_1", "type": "invoice.paid"}
    assert delivery.delivery_id(None, "stripe", {}, stripe) == "evt_1"
    assert delivery.event_type(None, {}, stripe) == "invoice.paid"
    assert delivery.delivery_id(None, "github", {"x-github-delivery": "d-1"}, {"id": 42}) == "d-1"
    assert delivery.event_type(None, {"x-github-event": "push"}, {"action": "x"}) == "push"
    slack = {"type": "event_callback", "event_id": "Ev1", "event": {"type": "message"}}
    assert (delivery.delivery_id(None, "slack", {}, slack), delivery.event_type(None, {}, slack)) == ("Ev1", "message")
    assert delivery.delivery_id(None, "hmac_sha256", {}, {"id": "resource-1"}) is None  # a resource id is not one
    declared = "body:meta.delivery"
    assert delivery.delivery_id(declared, "hmac_sha256", {}, {"meta": {"delivery": "m-9"}}) == "m-9"
    assert delivery.event_type("header:X-Kind", {"x-kind": "deal.won"}, {}) == "deal.won"


def test_bodies_become_json() -> None:
    assert delivery.parsed_body(b'{"a": 1}', "application/json") == {"a": 1}
    assert delivery.parsed_body(b"type=subscribe&data%5Bemail%5D=a%40b.c", "application/x-www-form-urlencoded") == {
        "type": "subscribe", "data[email]": "a@b.c"}
    assert delivery.parsed_body(b"plain", "text/plain") == {"text": "plain"}
    assert delivery.parsed_body(b"", "application/json") is None


def test_the_registration_request_is_filled_from_the_manifest() -> None:
    values = {"url": "https://j.example/in/t", "events": ["a", "b"], "secret": "whsec_1", "owner": "octo"}
    assert fill({"config": {"url": "{url}", "secret": "{secret}"}, "events": "{events}", "note": "for {owner}"},
                values) == {"config": {"url": "https://j.example/in/t", "secret": "whsec_1"}, "events": ["a", "b"],
                            "note": "for octo"}
    form = WebhookRegistration(path="/v1/webhook_endpoints", encoding="form", delete_path="/v1/webhook_endpoints/{id}",
                               body={"url": "{url}", "enabled_events": "{events}"})
    sent = request_of(form, values)
    assert (sent.method, sent.path, sent.headers) == ("POST", "/v1/webhook_endpoints",
                                                      {"Content-Type": "application/x-www-form-urlencoded"})
    assert sent.body == "url=https%3A%2F%2Fj.example%2Fin%2Ft&enabled_events%5B%5D=a&enabled_events%5B%5D=b"
    repo = WebhookRegistration(path="/repos/{owner}/hooks", delete_path="/repos/{owner}/hooks/{id}",
                               body={"config": {"url": "{url}"}})
    assert request_of(repo, values).path == "/repos/octo/hooks"


def test_a_manifest_refuses_a_registration_without_its_id_in_the_delete_path() -> None:
    with pytest.raises(ValueError, match="delete_path"):
        WebhookRegistration(path="/hooks", delete_path="/hooks")


def _cmd(kind: str, stream: str, data: dict[str, Any]) -> CommandEnvelope:
    return CommandEnvelope(type=kind, aggregate_id=stream, workspace_id="ws_1", data=data)


def _event(new: NewEvent, stream: str, version: int) -> EventEnvelope:
    return EventEnvelope(type=new.type, schema_version=new.schema_version, stream_id=stream, version=version,
                         workspace_id="ws_1", occurred_at=datetime(2026, 5, 1, 10, version, tzinfo=UTC),
                         command_id="c", correlation_id="c", causation_id="c", data=new.data)


def test_a_delivery_is_recorded_once() -> None:
    data = {"subscription_id": "pws_1", "provider": "stripe", "event_type": "invoice.paid", "delivery_id": "evt_1",
            "body": {"id": "evt_1"}}
    [first] = decide_delivery(_cmd(pw.RECEIVE, "pwd_1", data), [])
    assert first.type == "provider_webhook.received" and first.data == data
    assert decide_delivery(_cmd(pw.RECEIVE, "pwd_1", data), [_event(first, "pwd_1", 1)]) == []


def test_a_subscription_is_made_once_and_deleted_once() -> None:
    record = {"provider": "slack", "url": "https://x.example", "events": ["message"], "status": pw.ACTIVE,
              "registration": "manual", "token_hash": "0" * 64, "signing": {"scheme": "slack"}}
    [made] = decide_subscription(_cmd(pw.SUBSCRIBE, "pws_1", {"record": record, "secret_sealed": None}), [])
    history = [_event(made, "pws_1", 1)]
    with pytest.raises(CommandRejected):
        decide_subscription(_cmd(pw.SUBSCRIBE, "pws_1", {"record": record, "secret_sealed": None}), history)
    [gone] = decide_subscription(_cmd(pw.UNSUBSCRIBE, "pws_1", {}), history)
    assert gone.data["record"]["status"] == pw.DELETED and gone.data["changes"] == {"status": pw.DELETED}
    assert decide_subscription(_cmd(pw.UNSUBSCRIBE, "pws_1", {}), [*history, _event(gone, "pws_1", 2)]) == []
    with pytest.raises(CommandRejected):
        decide_subscription(_cmd(pw.UNSUBSCRIBE, "pws_2", {}), [])


def test_the_read_models_fold_the_events() -> None:
    record = {"provider": "slack", "url": "https://x.example", "events": ["message"], "status": pw.ACTIVE,
              "registration": "manual", "token_hash": "0" * 64, "signing": {"scheme": "slack"}}
    sealed = {"kid": "k1", "wrapped_key": "w", "nonce": "n", "ciphertext": "c"}
    [made] = decide_subscription(_cmd(pw.SUBSCRIBE, "pws_1", {"record": record, "secret_sealed": sealed}), [])
    first = _event(made, "pws_1", 1)
    doc = apply_subscription(None, first)
    assert doc["status"] == pw.ACTIVE and doc["secret_sealed"] == sealed and doc["workspace_id"] == "ws_1"
    [gone] = decide_subscription(_cmd(pw.UNSUBSCRIBE, "pws_1", {}), [first])
    after = apply_subscription(doc, _event(gone, "pws_1", 2))
    assert after["status"] == pw.DELETED and after["secret_sealed"] is None and after["deleted_at"]
    data = {"subscription_id": "pws_1", "provider": "slack", "event_type": "message", "delivery_id": "Ev1",
            "body": {"text": "hi"}}
    [received] = decide_delivery(_cmd(pw.RECEIVE, "pwd_1", data), [])
    row = apply_delivery(None, _event(received, "pwd_1", 1))
    assert (row["subscription_id"], row["delivery_id"], row["event_type"]) == ("pws_1", "Ev1", "message")
    assert "body" not in row


def test_github_registers_a_repository_hook_named_by_the_subscription_config() -> None:
    from connections.catalogue.loader import load_catalogue

    github = load_catalogue([]).get("github")
    assert github is not None and github.webhooks is not None and github.webhooks.registration is not None
    values = {"owner": "octo", "repo": "hello world", "url": "https://j.example/in/t", "events": ["push"],
              "secret": "whsec_1"}
    sent = request_of(github.webhooks.registration, values)
    assert (sent.method, sent.path) == ("POST", "/repos/octo/hello%20world/hooks")
    assert sent.body == {"name": "web", "active": True, "events": ["push"],
                         "config": {"url": "https://j.example/in/t", "content_type": "json", "secret": "whsec_1",
                                    "insecure_ssl": "0"}}
    with pytest.raises(ValueError, match="owner"):
        request_of(github.webhooks.registration, {"url": "u", "events": [], "secret": "s"})


def test_a_subscribe_body_refuses_config_names_it_fills_itself() -> None:
    assert pw.SubscribeBody(url="https://x.example/h", config={"owner": "octo"}).config == {"owner": "octo"}
    with pytest.raises(ValueError, match="config"):
        pw.SubscribeBody(url="https://x.example/h", config={"url": "https://evil.example"})
    with pytest.raises(ValueError, match="url"):
        pw.SubscribeBody(url="ftp://x.example/h")

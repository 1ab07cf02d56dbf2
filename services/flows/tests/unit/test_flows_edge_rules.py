"""Pure rules of FL-EDGE: form submissions against fields, trigger configurations by kind, cron slots, poll
records, webhook signatures, the action request."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from flows.actions.request import input_errors, proxy_body
from flows.domain.form import decide_submit, submission_errors
from flows.domain.trigger import config_errors, decide_create, decide_delete
from flows.triggers.claims import ABANDONED_AFTER_S, abandoned
from flows.triggers.cron import due_slot
from flows.triggers.poll import records_of
from flows.triggers.webhook import signed, trigger_data
from flows_contracts.forms import FormField
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, stamp

FIELDS = [FormField(name="email", type="email", required=True), FormField(name="n", type="number"),
          FormField(name="ok", type="checkbox")]


def test_a_submission_is_normalised_or_every_error_named() -> None:
    clean, errors = submission_errors(FIELDS, {"email": "a@b.co", "n": "-2.5", "ok": False})
    assert errors == [] and clean == {"email": "a@b.co", "n": -2.5, "ok": False}
    _, errors = submission_errors(FIELDS, {"n": True, "x": 1})
    assert errors == [{"field": "x", "message": "is not a field of this form"},
                      {"field": "email", "message": "is required"}, {"field": "n", "message": "must be a number"}]


def test_the_submission_decision_refuses_what_does_not_fit() -> None:
    fields = [f.model_dump() for f in FIELDS]
    cmd = CommandEnvelope(type="form.submit", aggregate_id="fsub_1", workspace_id="ws",
                          data={"form_id": "form_1", "fields": fields, "data": {"email": "nope"}})
    with pytest.raises(CommandRejected) as refused:
        decide_submit(cmd, [])
    assert refused.value.details["errors"] == [{"field": "email", "message": "must be an email address"}]
    ok = cmd.model_copy(update={"data": {**cmd.data, "data": {"email": "a@b.co"}}})
    [event] = decide_submit(ok, [])
    assert event.type == "form.submitted" and event.data["record"] == {"form_id": "form_1",
                                                                      "data": {"email": "a@b.co"}}


@pytest.mark.parametrize(("kind", "config", "field"), [
    ("poll", {"intervalSeconds": 0}, "config.intervalSeconds"),
    ("event", {"eventType": "contact"}, "config.eventType"),
    ("cron", {"cron": "every minute"}, "config.cron"),
    ("cron", {"cron": "* * * * * * *"}, "config.cron"),
    ("form", {}, "config.formId"),
])
def test_a_kind_needs_its_configuration(kind: str, config: dict[str, object], field: str) -> None:
    assert [e["field"] for e in config_errors(kind, config)] == [field]


def test_good_configurations_pass() -> None:
    assert config_errors("cron", {"cron": "*/5 * * * *"}) == []
    assert config_errors("event", {"eventType": "sync_run.completed"}) == []
    assert config_errors("poll", {}) == [] and config_errors("manual", {}) == []


def test_a_trigger_is_created_once_and_deleted_once() -> None:
    record = {"flow_id": "wf_1", "kind": "cron", "config": {"cron": "0 * * * *"}}
    cmd = CommandEnvelope(type="flow_trigger.create", aggregate_id="trg_1", workspace_id="ws", data={"record": record})
    created = decide_create(cmd, [])
    history: list[EventEnvelope] = stamp(cmd, created, "trg_1", 0, datetime.now(UTC))
    with pytest.raises(CommandRejected):
        decide_create(cmd, history)
    delete = CommandEnvelope(type="flow_trigger.delete", aggregate_id="trg_1", workspace_id="ws")
    deleted = decide_delete(delete, history)
    assert [e.type for e in deleted] == ["flow_trigger.deleted"]
    history += stamp(delete, deleted, "trg_1", 1, datetime.now(UTC))
    assert decide_delete(delete, history) == []


def test_the_due_cron_slot_is_the_latest_since_creation() -> None:
    now = datetime(2026, 12, 1, 10, 7, 30, tzinfo=UTC)
    assert due_slot("*/5 * * * *", now, 0) == datetime(2026, 12, 1, 10, 5, tzinfo=UTC)
    assert due_slot("*/5 * * * *", now, now.timestamp() - 60) is None
    on_the_minute = datetime(2026, 12, 1, 10, 10, 0, tzinfo=UTC)
    assert due_slot("*/5 * * * *", on_the_minute, 0) == on_the_minute


def test_six_field_cron_has_second_slots_seconds_first() -> None:
    now = datetime(2026, 12, 1, 10, 7, 31, 400000, tzinfo=UTC)
    assert due_slot("*/10 * * * * *", now, 0) == datetime(2026, 12, 1, 10, 7, 30, tzinfo=UTC)
    assert due_slot("31 * * * * *", now, 0) == datetime(2026, 12, 1, 10, 7, 31, tzinfo=UTC)
    assert due_slot("*/10 * * * * *", now, now.timestamp() - 1) is None
    assert config_errors("cron", {"cron": "*/10 * * * * *"}) == []
    assert config_errors("cron", {"cron": "*/5 * * * *"}) == []
    for bad in ("61 * * * * *", "* * * *", "* * * * * * *", "every minute"):
        assert config_errors("cron", {"cron": bad})[0]["field"] == "config.cron"


def test_poll_records_are_found_where_providers_put_them() -> None:
    assert records_of([{"id": 1}, 2], "deals") == [{"id": 1}]
    assert records_of({"data": [{"id": 1}]}, "deals") == [{"id": 1}]
    assert records_of({"deals": [{"id": 2}], "total": 1}, "deals") == [{"id": 2}]
    assert records_of({"error": "x"}, "deals") == []


def test_a_webhook_body_is_signed_with_the_secret() -> None:
    body = b'{"a":1}'
    good = hmac.new(b"s" * 16, body, hashlib.sha256).hexdigest()
    assert signed(b"s" * 16, body, {"x-junction-signature": f"sha256={good}"})
    assert signed(b"s" * 16, body, {"x-hub-signature-256": f"sha256={good}"})
    assert not signed(b"s" * 16, body + b" ", {"x-junction-signature": f"sha256={good}"})
    assert not signed(b"s" * 16, body, {})
    data = trigger_data(b"plain", {"q": "1"}, {"content-type": "text/plain", "authorization": "Bearer x"})
    assert data == {"body": "plain", "query": {"q": "1"}, "headers": {"content-type": "text/plain"}}


def test_action_inputs_are_checked_and_placed() -> None:
    schema = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
    assert [e["message"] for e in input_errors(schema, {})] == ["'id' is a required property"]
    assert input_errors({"type": "object", "properties": {"a": {"type": 5}}}, {})[0]["rule"] == "schema"
    get = proxy_body({"method": "GET", "path": "/deals/{id}"}, {"id": "a/b", "limit": 5, "all": True}, "k1")
    assert get == {"method": "GET", "path": "/deals/a%2Fb", "headers": {"Idempotency-Key": "k1"},
                   "query": {"limit": "5", "all": "true"}}
    post = proxy_body({"method": "post", "path": "/contacts"}, {"email": "a@b.co"}, "k2")
    assert post["body"] == {"email": "a@b.co"} and "query" not in post


def test_a_claim_never_marked_started_is_taken_up_after_the_grace_period() -> None:
    now = 1_000_000.0
    assert abandoned({"started": False, "claimed_ts": now - ABANDONED_AFTER_S - 1}, now)
    assert not abandoned({"started": False, "claimed_ts": now - 1}, now)
    assert not abandoned({"started": True, "claimed_ts": 0}, now)
    assert not abandoned({"claimed_ts": 0}, now) and not abandoned(None, now)


def test_a_cron_trigger_may_name_its_time_zone() -> None:
    assert config_errors("cron", {"cron": "0 9 * * *", "timezone": "Europe/Paris"}) == []
    assert [e["field"] for e in config_errors("cron", {"cron": "0 9 * * *", "timezone": "Mars/Olympus"})] == [
        "config.timezone"]
    paris = ZoneInfo("Europe/Paris")
    now = datetime(2026, 12, 1, 8, 30, tzinfo=UTC).astimezone(paris)  # 09:30 in Paris
    assert due_slot("0 9 * * *", now, 0) == datetime(2026, 12, 1, 9, 0, tzinfo=paris)

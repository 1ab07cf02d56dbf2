"""The forms, submissions and trigger read models are pure folds: applied event by event, or replayed from
scratch, they give the same documents; the trigger's token hash is gone once it is deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flows.domain import form, trigger
from flows.projections.forms import apply_form, apply_submission
from flows.projections.triggers import apply_trigger
from junction_common.envelope import CommandEnvelope, EventEnvelope, stamp
from junction_common.projections.runner import ApplyFn

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def fold(apply: ApplyFn, events: list[EventEnvelope]) -> dict[str, Any] | None:
    doc: dict[str, Any] | None = None
    for event in events:
        doc = apply(doc, event)
    return doc


def history() -> dict[str, list[EventEnvelope]]:
    create_form = CommandEnvelope(type="form.create", aggregate_id="form_1", workspace_id="ws", data={"record": {
        "name": "F", "fields": [{"name": "email", "type": "email", "required": True}]}})
    submit = CommandEnvelope(type="form.submit", aggregate_id="fsub_1", workspace_id="ws", data={
        "form_id": "form_1", "fields": [{"name": "email", "type": "email"}], "data": {"email": "a@b.co"}})
    create_trigger = CommandEnvelope(type="flow_trigger.create", aggregate_id="trg_1", workspace_id="ws", data={
        "record": {"flow_id": "wf_1", "kind": "webhook", "token_hash": "ab" * 32}})
    created = stamp(create_trigger, trigger.decide_create(create_trigger, []), "trg_1", 0, T0)
    delete = CommandEnvelope(type="flow_trigger.delete", aggregate_id="trg_1", workspace_id="ws")
    return {"form": stamp(create_form, form.decide_create(create_form, []), "form_1", 0, T0),
            "submission": stamp(submit, form.decide_submit(submit, []), "fsub_1", 0, T0),
            "trigger": created + stamp(delete, trigger.decide_delete(delete, created), "trg_1", 1,
                                       T0 + timedelta(minutes=1))}


def test_replays_give_the_documents_applied_event_by_event() -> None:
    events = history()
    stored = fold(apply_trigger, events["trigger"][:1])  # what the read model held after the first event
    assert apply_trigger(stored, events["trigger"][1]) == fold(apply_trigger, events["trigger"])
    forms_doc = fold(apply_form, events["form"])
    assert forms_doc is not None and forms_doc["fields"][0]["name"] == "email" and forms_doc["id"] == "form_1"
    submission = fold(apply_submission, events["submission"])
    assert submission == {"form_id": "form_1", "data": {"email": "a@b.co"}, "id": "fsub_1", "workspace_id": "ws",
                          "created_at": T0.isoformat()}


def test_a_deleted_trigger_keeps_no_token_hash() -> None:
    events = history()["trigger"]
    live = fold(apply_trigger, events[:1])
    assert live is not None and live["status"] == "active" and live["token_hash"] == "ab" * 32
    gone = fold(apply_trigger, events)
    assert gone is not None and gone["status"] == "deleted" and gone["token_hash"] is None
    assert gone["deleted_at"] == (T0 + timedelta(minutes=1)).isoformat()

"""Typed crm events (crm_contracts.events), without infrastructure: every declared resource's create, update and
archive decision emits events its payload model accepts, with its current schema version; the record each event
carries is the document the API then returns (minus id and the event's own timestamps); stored version 1 events
(tests/fixtures/crm_events_v1.json) upcast and project to the documents they always gave."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crm.domain import bi, invoice, record
from crm.projections.contacts import apply as apply_contact
from crm.projections.records import apply as apply_record
from crm_contracts.crm import CRM_RESOURCES
from crm_contracts.event_upcasters import UPCASTERS
from crm_contracts.events import EVENT_MODELS, json_schemas, version_of
from junction_common.contracts.resources import ResourceContract
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent, stamp
from junction_common.web.listing import present
from tests.crm_records import BODIES, PREFIXES, Need

AT = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
FIXTURE = Path(__file__).parent / "fixtures" / "crm_events_v1.json"
TEXT_FIELDS = ("name", "title", "summary", "subject", "body", "description")


def _fake_ids(value: Any) -> Any:
    if isinstance(value, Need):
        return f"{PREFIXES[value.resource]}_x1"
    if isinstance(value, dict):
        return {k: _fake_ids(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fake_ids(v) for v in value]
    return value


def _decide(contract: ResourceContract, cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
    if contract.name == "invoice" and cmd.type == invoice.CREATE:
        return invoice.decide(cmd, events, {})
    if contract.name in bi.NAMES:
        return bi.decide(contract, cmd, record.fold(events))
    return record.decide(contract, cmd, record.fold(events))


def _lifecycle(contract: ResourceContract) -> list[EventEnvelope]:
    """Create, update (a text field, when it has one), then archive a record of `contract`."""
    body = _fake_ids(BODIES[contract.name]() or {"dataset_id": Need("bi_dataset")})
    text = next((f for f in TEXT_FIELDS if f in body or f in contract.create_model.model_fields), None)
    steps = [("create", body), *([("update", {text: "Changed"})] if text else []), ("archive", {})]
    events: list[EventEnvelope] = []
    for i, (verb, data) in enumerate(steps):
        cmd = CommandEnvelope(type=contract.command(verb), aggregate_id=f"{contract.prefix}_1", workspace_id="wrk_1",
                              data=data, issued_at=AT)
        events += stamp(cmd, _decide(contract, cmd, events), cmd.aggregate_id, len(events), AT + timedelta(i))
    return events


def _project(events: list[EventEnvelope]) -> list[dict[str, Any]]:
    docs, doc = [], None
    for event in events:
        doc = apply_record(doc, event)
        docs.append(doc)
    return docs


@pytest.mark.parametrize("contract", CRM_RESOURCES, ids=lambda c: c.name)
def test_every_lifecycle_event_matches_its_model_and_version(contract: ResourceContract) -> None:
    events = _lifecycle(contract)
    assert events[0].type.endswith(".created") and events[-1].type.endswith(".archived")
    for event in events:
        EVENT_MODELS[event.type].model_validate(event.data)
        assert event.schema_version == version_of(event.type) == 2


@pytest.mark.parametrize("contract", CRM_RESOURCES, ids=lambda c: c.name)
def test_each_event_carries_the_record_the_api_then_returns(contract: ResourceContract) -> None:
    events = _lifecycle(contract)
    for event, doc in zip(events, _project(events), strict=True):
        own_timestamps = {"updated_at", *(["created_at"] if event.type.endswith(".created") else []),
                          *(["archived_at"] if event.type.endswith(".archived") else [])}
        shown = {k: v for k, v in present(doc).items() if k != "id" and k not in own_timestamps}
        assert event.data["record"] == shown, event.type


def test_special_events_carry_the_record_too() -> None:
    inv = next(c for c in CRM_RESOURCES if c.name == "invoice")
    create = CommandEnvelope(type=invoice.CREATE, aggregate_id="inv_1", workspace_id="wrk_1",
                             data=_fake_ids(BODIES["invoice"]()))
    events = stamp(create, invoice.decide(create, [], {}), "inv_1", 0, AT)
    pay = CommandEnvelope(type=invoice.APPLY_PAYMENT, aggregate_id="inv_1", workspace_id="wrk_1",
                          data={"payment_id": "pay_1", "amount_cents": 100})
    events += stamp(pay, invoice.decide(pay, events, {}), "inv_1", len(events), AT + timedelta(1))
    assert [e.type for e in events] == ["invoice.created", "invoice.payment_applied", "invoice.paid"]
    for event, doc in zip(events, _project(events), strict=True):
        EVENT_MODELS[event.type].model_validate(event.data)
        assert event.data["record"].get("status") == doc.get("status")
    assert events[-1].data["record"]["balance_due_cents"] == 0 and inv.name == "invoice"


def test_a_payload_its_model_refuses_is_never_emitted() -> None:
    deal = next(c for c in CRM_RESOURCES if c.name == "deal")
    cmd = CommandEnvelope(type="deal.create", aggregate_id="deal_1", workspace_id="wrk_1",
                          data={"name": "Pilot", "stage": "s", "amount_cents": "not a number"})
    with pytest.raises(ValueError):
        record.decide(deal, cmd, None)


def test_the_registry_lists_every_type_with_its_version_and_schema() -> None:
    listed = {s["type"]: s for s in json_schemas()}
    for contract in CRM_RESOURCES:
        for verb in ("created", "updated", "archived"):
            assert listed[f"{contract.name}.{verb}"]["schema_version"] == 2
    assert {"contact.created", "invoice.paid", "invoice.payment_applied", "lead.converted", "asset.completed",
            "bi_export.completed", "bi_export.failed"} <= set(listed)
    assert all(s["schema"]["type"] == "object" and "properties" in s["schema"] for s in listed.values())
    assert len(listed) == len(EVENT_MODELS) == 3 * len(CRM_RESOURCES) + 7


# --- stored version 1 events -------------------------------------------------------------------------------


def _fixture() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())


@pytest.mark.parametrize("stream", _fixture()["streams"], ids=lambda s: s["events"][0]["stream_id"])
def test_v1_events_upcast_and_project_to_the_same_documents(stream: dict[str, Any]) -> None:
    stored = [EventEnvelope.model_validate(e) for e in stream["events"]]
    assert all(e.schema_version == 1 for e in stored)
    current = [UPCASTERS.upcast(e) for e in stored]
    apply = apply_contact if stored[0].type.startswith("contact.") else apply_record
    doc = None
    for event in current:
        assert event.schema_version == version_of(event.type)
        EVENT_MODELS[event.type].model_validate(event.data)
        doc = apply(doc, event)
    assert doc == stream["document"]


def test_v1_events_fold_to_the_same_state() -> None:
    (stream,) = [s for s in _fixture()["streams"] if s["events"][0]["stream_id"].startswith("inv_")]
    state = record.fold([UPCASTERS.upcast(EventEnvelope.model_validate(e)) for e in stream["events"]])
    assert state is not None and not state.archived
    assert state.fields["status"] == "paid" and state.fields["balance_due_cents"] == 0
    assert state.created_at == stream["document"]["created_at"]

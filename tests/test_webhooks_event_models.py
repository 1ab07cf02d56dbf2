"""Typed webhooks events: every endpoint and event-type decision gives events their model accepts at its current
version, whose `record` is what the API then returns (without id and the event's timestamps) and never holds a
secret; stored version 1 events (tests/fixtures/webhooks_events_v1.json) upcast and project to the documents
they always gave."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from junction_common.envelope import CommandEnvelope, EventEnvelope, stamp
from webhooks.api.views import endpoint_view, type_view
from webhooks.domain import endpoint, event_type
from webhooks.domain.events import build
from webhooks.projections import apply_endpoint, apply_event_type
from webhooks_contracts import declarations as wh
from webhooks_contracts.event_upcasters import UPCASTERS
from webhooks_contracts.events import EVENT_MODELS, json_schemas, version_of

FIXTURE = Path(__file__).parent / "fixtures" / "webhooks_events_v1.json"
START = datetime(2026, 5, 1, 9, 0, 0, 250000, tzinfo=UTC)
SEALED = {"kid": "k1", "wrapped_key": "d2s=", "nonce": "bm9uY2U=", "ciphertext": "Y3Q="}
CREATE = {"description": "Ops", "rate_limit_per_s": 20.0, "event_types": ["contact.*"], "name": "Ops",
          "url": "https://example.com/hook", "secret_sealed": SEALED, "signing_secret_preview": "whsec_abcd...wxyz"}
LIFECYCLE = [
    (wh.CREATE_ENDPOINT, CREATE),
    (wh.UPDATE_ENDPOINT, {"status": "paused", "name": "Ops (paused)"}),
    (wh.ROTATE_SECRET, {"secret_sealed": {**SEALED, "ciphertext": "bmV3"}, "signing_secret_preview": "...et",
                        "overlap_s": 3600}),
    (wh.DISABLE_ENDPOINT, {"reason": "410 Gone"}),
    (wh.UPDATE_ENDPOINT, {"status": "active", "catch_up_since": START.isoformat(), "max_concurrency": None}),
    (wh.DELETE_ENDPOINT, {}),
]
# What the API shows that an event's own `occurred_at` gives, so its record leaves it out.
EVENT_TIMES = ("id", "updated_at", "deleted_at")


def _run(decide: Any, commands: list[tuple[str, dict[str, Any]]], stream: str) -> list[EventEnvelope]:
    events: list[EventEnvelope] = []
    for i, (ctype, data) in enumerate(commands):
        at = START + timedelta(hours=i)
        cmd = CommandEnvelope(type=ctype, aggregate_id=stream, workspace_id="wrk_1", issued_at=at, data=data)
        events += stamp(cmd, decide(cmd, events), stream, len(events), at)
    return events


def _without(view: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k not in keys}


def test_every_endpoint_event_is_typed_and_its_record_is_what_the_api_then_returns() -> None:
    events = _run(endpoint.decide, LIFECYCLE, "wh_1")
    assert [e.type.rsplit(".", 1)[1] for e in events] == ["created", "updated", "secret_rotated", "disabled",
                                                          "updated", "deleted"]
    doc = None
    for event in events:
        assert event.schema_version == version_of(event.type) == 2
        EVENT_MODELS[event.type].model_validate(event.data)
        doc = apply_endpoint(doc, event)
        shown = _without(endpoint_view(doc), *EVENT_TIMES, *(("created_at",) if event.version == 1 else ()))
        assert event.data["record"] == shown, event.type
    assert doc is not None and doc["deleted"] and doc["secret_sealed"]["ciphertext"] == "bmV3"
    assert [s["secret_sealed"] for s in doc["previous_secrets"]] == [SEALED]


def test_no_secret_is_in_a_record_or_changes_only_in_the_internal_fields() -> None:
    events = _run(endpoint.decide, LIFECYCLE, "wh_1")
    for event in events:
        public = json.dumps({k: event.data.get(k) for k in ("record", "changes")})
        assert "secret_sealed" not in public and SEALED["ciphertext"] not in public and "bmV3" not in public
    created, rotated = events[0].data, events[2].data
    assert created["secret_sealed"] == SEALED and set(created) == {"record", "secret_sealed"}
    assert set(rotated) == {"record", "changes", "secret_sealed", "previous_secrets"}
    assert rotated["changes"] == {"signing_secret_preview": "...et"}
    assert rotated["record"]["secret_rotation"]["previous_secrets_valid_until"] == [
        (START + timedelta(hours=2, seconds=3600)).isoformat()]


def test_a_record_holding_a_secret_is_refused() -> None:
    record = endpoint.Endpoint("wh_1", {"name": "x", "status": "active"}).record()
    with pytest.raises(ValidationError):
        build("webhook_endpoint.created", record={**record, "secret_sealed": SEALED}, secret_sealed=SEALED)
    with pytest.raises(ValidationError):
        build("webhook_endpoint.updated", record=record, changes={"secret": "plain"})


def test_a_registered_event_type_is_typed_and_its_record_is_what_the_api_lists() -> None:
    body = {"key": "external.publish.completed", "category": "publishing", "description": "Done."}
    (event,) = _run(event_type.decide_register(False), [(wh.REGISTER_EVENT_TYPE, body)], "iet_1")
    EVENT_MODELS[event.type].model_validate(event.data)
    doc = apply_event_type(None, event)
    assert event.data == {"record": _without(type_view(doc), "id", "created_at")}
    assert doc == {**body, "id": "iet_1", "workspace_id": "wrk_1", "created_at": START.isoformat(),
                   "updated_at": START.isoformat()}


def test_the_registry_lists_every_webhooks_type_with_its_version_and_schema() -> None:
    listed = {s["type"]: s for s in json_schemas()}
    assert set(listed) == {key for key, _ in wh.WEBHOOK_EVENT_TYPES}
    assert all(s["schema_version"] == 2 and s["schema"]["type"] == "object" for s in listed.values())
    created = listed["webhook_endpoint.created"]["schema"]
    assert "secret_sealed" not in created["$defs"]["EndpointRecord"]["properties"]


# --- stored version 1 events -------------------------------------------------------------------------------


def _fixture() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())


@pytest.mark.parametrize("stream", _fixture()["streams"], ids=lambda s: s["events"][0]["stream_id"])
def test_v1_events_upcast_and_project_to_the_same_documents(stream: dict[str, Any]) -> None:
    stored = [EventEnvelope.model_validate(e) for e in stream["events"]]
    assert all(e.schema_version == 1 for e in stored)
    current = [UPCASTERS.upcast(e) for e in stored]
    apply = apply_event_type if stored[0].type.startswith("integration_event_type.") else apply_endpoint
    doc = None
    for event in current:
        assert event.schema_version == version_of(event.type)
        EVENT_MODELS[event.type].model_validate(event.data)
        doc = apply(doc, event)
    assert doc == stream["document"]


@pytest.mark.parametrize("stream", [s for s in _fixture()["streams"] if s["events"][0]["stream_id"].startswith("wh_")],
                         ids=lambda s: s["events"][0]["stream_id"])
def test_v1_events_fold_to_the_endpoint_the_api_showed(stream: dict[str, Any]) -> None:
    state = endpoint.fold([UPCASTERS.upcast(EventEnvelope.model_validate(e)) for e in stream["events"]])
    assert state is not None and state.fields["secret_sealed"] == stream["document"]["secret_sealed"]
    assert state.record() == _without(endpoint_view(stream["document"]), *EVENT_TIMES)

"""Tenant integrations and custom providers, pure: given events, when a command, then events; the projections'
folds; a provider's settings schema at work (no broker, no database, no clock)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connections.app.settings_schema import SettingsSchema
from connections.catalogue.index import Catalogue
from connections.catalogue.manifest import Manifest
from connections.catalogue.workspace import WorkspaceCatalogue
from connections.domain import custom_provider, tenant_integration, tenant_integration_inbound
from connections.presenters.integrations import settings_schema
from connections.projections.custom_providers import apply_custom_provider
from connections.projections.tenant_integrations import apply_tenant_integration
from connections_contracts import custom_provider_events as cpe
from connections_contracts import custom_providers as cp
from connections_contracts import tenant_integration_events as tie
from connections_contracts import tenant_integrations as ti
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent
from junction_common.web.envelope import ApiError

SEALED = {"kid": "k1", "wrapped_key": "d3JhcA==", "nonce": "bm9uY2U=", "ciphertext": "Y2lwaGVy"}
HASH_1, HASH_2 = "1" * 64, "2" * 64
AT = "2026-05-01T10:00:00+00:00"
MANIFEST: dict[str, Any] = {
    "type": "acme_inhouse", "name": "Acme", "description": "In-house API.", "categories": ["CRM"],
    "docs_url": "https://acme.example/docs", "api_base_url": "https://api.acme.example",
    "auth": {"kind": "api_key", "location": "header", "name": "Authorization", "template": "Bearer {apiKey}"},
}


def command(kind: str, aggregate_id: str = "int_1", **data: Any) -> CommandEnvelope:
    return CommandEnvelope(type=kind, aggregate_id=aggregate_id, workspace_id="ws_1", data=data)


def stored(new: list[NewEvent], before: list[EventEnvelope], stream: str = "int_1") -> list[EventEnvelope]:
    return before + [EventEnvelope(type=e.type, schema_version=e.schema_version, stream_id=stream,
                                   version=len(before) + i + 1, workspace_id="ws_1",
                                   occurred_at=datetime(2026, 5, 1, 10, len(before) + i, tzinfo=UTC),
                                   command_id="c", correlation_id="c", causation_id="c", data=e.data)
                     for i, e in enumerate(new)]


def created() -> list[EventEnvelope]:
    record = {"service": "klaviyo", "name": "Klaviyo", "enabled": True, "settings": {}, "secret_settings": ["apiKey"],
              "synchronizations": [{"event_type": "order.created", "enabled": True}], "key_preview": "…abcd"}
    return stored(tenant_integration.decide(command(ti.CREATE, record=record, settings_sealed=SEALED,
                                                    key_hash=HASH_1), []), [])


def test_a_create_keeps_the_sealed_settings_and_the_key_hash_out_of_the_record() -> None:
    [event] = created()
    assert event.type == "tenant_integration.created" and event.data["key_hash"] == HASH_1
    assert event.data["settings_sealed"] == SEALED and "key_hash" not in event.data["record"]
    with pytest.raises(CommandRejected):
        tenant_integration.decide(command(ti.CREATE, record={"service": "x"}, key_hash=HASH_1), created())


def test_a_regenerated_key_replaces_the_hash_and_a_delete_erases_it() -> None:
    events = created()
    events = stored(tenant_integration.decide(command(ti.REGENERATE_KEY, key_hash=HASH_2, key_preview="…wxyz", at=AT),
                                              events), events)
    state = tenant_integration.fold(events)
    assert state is not None and state.key_hash == HASH_2 and state.record["key_preview"] == "…wxyz"
    events = stored(tenant_integration.decide(command(ti.DELETE), events), events)
    state = tenant_integration.fold(events)
    assert state is not None and state.key_hash is None and state.deleted
    assert tenant_integration.decide(command(ti.DELETE), events) == []
    with pytest.raises(CommandRejected) as refused:
        tenant_integration.decide(command(ti.UPDATE, changes={"enabled": True}), events)
    assert refused.value.code == "NOT_FOUND"


def test_an_update_that_changes_nothing_emits_nothing() -> None:
    events = created()
    assert tenant_integration.decide(command(ti.UPDATE, changes={"enabled": True, "name": "Klaviyo"}), events) == []
    [event] = tenant_integration.decide(command(ti.UPDATE, changes={"enabled": False}), events)
    assert event.data["changes"] == {"enabled": False} and "settings_sealed" not in event.data


def test_the_projection_holds_the_hash_and_drops_it_on_delete() -> None:
    events = created()
    events = stored(tenant_integration.decide(command(ti.DELETE), events), events)
    doc = None
    for event in events:
        doc = apply_tenant_integration(doc, event)
    assert doc is not None and doc["deleted"] is True and doc["key_hash"] is None and doc["settings_sealed"] is None
    assert doc["workspace_id"] == "ws_1" and doc["created_at"] != doc["updated_at"]


def test_an_inbound_delivery_is_recorded_once() -> None:
    data = {"integration_id": "int_1", "service": "klaviyo", "event_type": "order.created", "source_id": "o-1",
            "data": {"total": 3}}
    [event] = tenant_integration_inbound.decide(command(ti.RECEIVE_INBOUND, "inb_1", **data), [])
    assert event.type == "tenant_integration_inbound.received" and event.data == data
    assert tenant_integration_inbound.decide(command(ti.RECEIVE_INBOUND, "inb_1", **data),
                                             stored([event], [], "inb_1")) == []


def test_a_custom_provider_is_registered_once_replaced_and_deleted() -> None:
    stream = cp.stream_id("ws_1", "acme_inhouse")
    register = command(cp.REGISTER, stream, type="acme_inhouse", manifest=MANIFEST)
    events = stored(custom_provider.decide(register, []), [], stream)
    with pytest.raises(CommandRejected):
        custom_provider.decide(register, events)
    replace = command(cp.REPLACE, stream, type="acme_inhouse", manifest=MANIFEST)
    assert custom_provider.decide(replace, events) == []  # the same manifest: nothing
    renamed = command(cp.REPLACE, stream, type="acme_inhouse", manifest={**MANIFEST, "name": "Acme 2"})
    events = stored(custom_provider.decide(renamed, events), events, stream)
    events = stored(custom_provider.decide(command(cp.DELETE, stream, type="acme_inhouse"), events), events, stream)
    assert custom_provider.decide(command(cp.DELETE, stream, type="acme_inhouse"), events) == []
    with pytest.raises(CommandRejected):
        custom_provider.decide(replace, events)
    doc = None
    for event in events:
        doc = apply_custom_provider(doc, event)
    assert doc is not None and doc["deleted"] is True and doc["manifest"] is None
    assert custom_provider.decide(register, events)[0].type == "custom_provider.registered"  # anew after a delete


def test_a_manifests_own_settings_schema_wins_and_writeonly_fields_are_secret() -> None:
    own = {"type": "object", "properties": {"token": {"type": "string", "writeOnly": True},
                                            "region": {"enum": ["eu", "us"]}}, "required": ["token"]}
    manifest = Manifest.model_validate({**MANIFEST, "settings_schema": own})
    assert settings_schema(manifest) == own
    schema = SettingsSchema.of(manifest)
    assert schema.split({"token": "t", "region": "eu"}) == ({"region": "eu"}, {"token": "t"})
    with pytest.raises(ApiError) as refused:
        schema.validated({"region": "mars"})
    problems = refused.value.details["errors"]
    assert {p["rule"] for p in problems} == {"required", "enum"}
    assert next(p for p in problems if p["rule"] == "required")["missing"] == ["token"]
    assert "mars" not in str(refused.value.details)


def test_a_settings_schema_must_be_a_json_schema_of_an_object() -> None:
    for bad in ({"type": "array"}, {"type": "object", "properties": {"a": {"type": "nope"}}}):
        with pytest.raises(ValueError):
            Manifest.model_validate({**MANIFEST, "settings_schema": bad})


def test_outside_a_call_the_workspace_catalogue_is_the_base_one() -> None:
    base = Catalogue([Manifest.model_validate(MANIFEST)])
    catalogue = WorkspaceCatalogue(base)
    assert catalogue.get("acme_inhouse") is not None and len(catalogue) == 1 and catalogue.custom == frozenset()
    merged = catalogue._merged("ws_1", [{"type": "mine", "manifest": {**MANIFEST, "type": "mine"}},
                                        {"type": "acme_inhouse", "manifest": MANIFEST},  # a base type: left out
                                        {"type": "broken", "manifest": {"type": "broken"}}])  # refused: left out
    assert [m.type for m in merged.manifests] == ["acme_inhouse", "mine"] and merged.custom == {"mine"}


FIXTURES = Path(__file__).parents[1] / "fixtures" / "events" / "tenant_integrations_and_custom_providers_v1.json"


def test_every_stored_version_still_loads_and_every_type_has_a_fixture() -> None:
    models = {**tie.EVENT_MODELS, **cpe.EVENT_MODELS}
    stored_events = json.loads(FIXTURES.read_text(encoding="utf-8"))
    assert {e["type"] for e in stored_events} == set(models)
    for event in stored_events:
        model = models[event["type"]]
        assert event["schema_version"] == model.schema_version
        model.model_validate(event["data"])


def test_the_projections_replayed_equal_incremental() -> None:
    events = created()
    for cmd in (command(ti.UPDATE, changes={"name": "B"}, settings_sealed=SEALED),
                command(ti.RECORD_TEST, status="ERROR", error="refused (401)", at=AT),
                command(ti.REGENERATE_KEY, key_hash=HASH_2, key_preview="…wxyz", at=AT), command(ti.DELETE)):
        events = stored(tenant_integration.decide(cmd, events), events)
    stream = cp.stream_id("ws_1", "acme_inhouse")
    provider_events = stored(custom_provider.decide(
        command(cp.REGISTER, stream, type="acme_inhouse", manifest=MANIFEST), []), [], stream)
    for apply, history in ((apply_tenant_integration, events), (apply_custom_provider, provider_events)):
        incremental: dict[str, Any] | None = None
        for event in history:  # each step stored and read back, as the writer does
            incremental = json.loads(json.dumps(apply(incremental, event)))
        replayed: dict[str, Any] | None = None
        for event in history:
            replayed = apply(replayed, event)
        assert incremental == replayed

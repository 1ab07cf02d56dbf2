"""The sync read model of others' facts: a tenant integration folds into a connection's facts (provider = its
service, config = its plain settings, kind `integration`), never copying anything sealed; a connection is as before."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from junction_common.envelope import EventEnvelope
from sync.projections.runs_facts import INTEGRATION, apply_connection

AT = datetime(2026, 3, 1, tzinfo=UTC)
SEALED = {"kid": "k1", "nonce": "n", "ciphertext": "c"}


def _event(kind: str, data: dict[str, Any], version: int = 1, stream: str = "int_1") -> EventEnvelope:
    return EventEnvelope(type=kind, stream_id=stream, version=version, workspace_id="ws_1", occurred_at=AT,
                         command_id="c", correlation_id="c", causation_id="c", data=data)


def test_a_tenant_integration_becomes_a_connection_of_kind_integration_without_its_sealed_settings() -> None:
    record = {"service": "paged_sim", "name": "Paged CRM", "enabled": True, "settings": {"region": "eu"},
              "secret_settings": ["apiKey"], "deleted": False}
    doc = apply_connection(None, _event("tenant_integration.created", {"record": record, "key_hash": "0" * 64,
                                                                        "settings_sealed": SEALED}))
    assert doc == {"name": "Paged CRM", "provider": "paged_sim", "enabled": True, "config": {"region": "eu"},
                   "deleted": False, "kind": INTEGRATION, "workspace_id": "ws_1", "connection_id": "int_1",
                   "created_ts": AT.timestamp()}


def test_a_disabled_then_deleted_integration_says_so() -> None:
    record = {"service": "paged_sim", "name": "Paged CRM", "enabled": True, "settings": {}, "deleted": False}
    doc = apply_connection(None, _event("tenant_integration.created", {"record": record}))
    doc = apply_connection(doc, _event("tenant_integration.updated",
                                       {"record": {**record, "enabled": False}, "changes": {"enabled": False}}, 2))
    assert doc["enabled"] is False and doc["deleted"] is False
    gone = {**record, "enabled": False, "deleted": True}
    doc = apply_connection(doc, _event("tenant_integration.deleted", {"record": gone, "changes": {}}, 3))
    assert doc["deleted"] is True and doc["created_ts"] == AT.timestamp()


def test_a_connection_keeps_only_what_a_run_needs() -> None:
    record = {"name": "CRM", "provider": "paged_sim", "status": "CONNECTED", "credentials_sealed": SEALED}
    doc = apply_connection(None, _event("connection.created", {"record": record}, stream="conn_1"))
    assert doc["provider"] == "paged_sim" and "credentials_sealed" not in doc and "kind" not in doc

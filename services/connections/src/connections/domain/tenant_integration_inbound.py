"""Inbound delivery aggregate (`inb_...`): one event a tenant's own system pushed to its integration.

Invariants: recorded once; a repeat of a delivery (the same sender id, so the same stream) records nothing.
"""

from __future__ import annotations

from connections.domain.tenant_integration import build
from connections_contracts import tenant_integrations as ti
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent


def decide(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
    if cmd.type != ti.RECEIVE_INBOUND:
        raise CommandRejected("VALIDATION_ERROR", f"unknown command {cmd.type}")
    if events:
        return []
    data = cmd.data
    return [build("tenant_integration_inbound.received", integration_id=data["integration_id"],
                  service=data["service"], event_type=data["event_type"], source_id=data.get("source_id"),
                  data=data["data"])]

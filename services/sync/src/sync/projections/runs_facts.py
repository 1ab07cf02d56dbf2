"""Read models the runs keep of others' facts and their own notices: `sync_connections`, the connections service's
connections as its event topic tells them (name, provider, schedule, notified users, config, variant, status;
never a credential) and its tenant integrations (`int_...`, their own topic) as connections of kind `integration`
(provider = their service, config = their plain settings), and `sync_notifications`, the run notifications."""

from __future__ import annotations

import copy
from typing import Any

from junction_common.envelope import EventEnvelope
from junction_common.projections.runner import Projection
from sync_contracts import declarations as decl
from sync_contracts import runs as rx

Doc = dict[str, Any]
CONNECTION_EVENTS = "connections.connection.events"  # the connections service's topic (raw JSON envelopes)
INTEGRATION_EVENTS = "connections.tenant_integration.events"  # its tenant integrations' topic (raw JSON envelopes)
INTEGRATION = "integration"  # the `kind` of a tenant integration's facts
# What a run needs to know of a connection; anything else (the sealed credentials) is never copied.
KEPT = ("name", "provider", "connector_type", "status", "config", "schedule", "notify_user_ids", "deleted",
        "origin", "variant_group_id", "variant_label", "created_at")


def apply_connection(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: the connection's facts after one of its events (`record` holds it as the API presents it)."""
    if event.type.startswith("tenant_integration."):
        return apply_integration(doc, event)
    record = event.data.get("record") or {}
    kept = {k: copy.deepcopy(record[k]) for k in KEPT if k in record}
    return {**(doc or {}), **kept, "workspace_id": event.workspace_id, "connection_id": event.stream_id,
            "created_ts": (doc or {}).get("created_ts", event.occurred_at.timestamp())}


def apply_integration(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: a tenant integration's facts as a connection's: its service is the provider, its plain settings the
    config (the secret ones are never in `record`), a disabled integration still syncs when asked."""
    record = event.data.get("record") or {}
    kept = {"name": record.get("name"), "provider": record.get("service"), "enabled": record.get("enabled", True),
            "config": copy.deepcopy(record.get("settings") or {}), "deleted": bool(record.get("deleted"))}
    created_ts = (doc or {}).get("created_ts", event.occurred_at.timestamp())
    return {**(doc or {}), **kept, "kind": INTEGRATION, "workspace_id": event.workspace_id,
            "connection_id": event.stream_id, "created_ts": created_ts}


def apply_notification(doc: Doc | None, event: EventEnvelope) -> Doc:
    return {**copy.deepcopy(event.data), "workspace_id": event.workspace_id,
            "created_at": event.occurred_at.isoformat(), "created_ts": event.occurred_at.timestamp()}


CONNECTIONS = Projection(name="sync.connections", service=decl.SERVICE, topics=(CONNECTION_EVENTS, INTEGRATION_EVENTS),
                         collection=rx.CONNECTIONS, apply=apply_connection, indexes=((("workspace_id", 1),),))
NOTIFICATIONS = Projection(name="sync.notifications", service=decl.SERVICE, topics=(decl.NOTIFICATION_EVENTS,),
                           collection=rx.NOTIFICATIONS, apply=apply_notification,
                           indexes=((("workspace_id", 1),),))

"""Read models the runs keep of others' facts and their own notices: `sync_connections`, the connections service's
connections as its event topic tells them (name, provider, schedule, notified users, config, variant, status;
never a credential), and `sync_notifications`, the run notifications."""

from __future__ import annotations

import copy
from typing import Any

from junction_common.envelope import EventEnvelope
from junction_common.projections.runner import Projection
from sync_contracts import declarations as decl
from sync_contracts import runs as rx

Doc = dict[str, Any]
CONNECTION_EVENTS = "connections.connection.events"  # the connections service's topic (raw JSON envelopes)
# What a run needs to know of a connection; anything else (the sealed credentials) is never copied.
KEPT = ("name", "provider", "connector_type", "status", "config", "schedule", "notify_user_ids", "deleted",
        "origin", "variant_group_id", "variant_label", "created_at")


def apply_connection(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: the connection's facts after one of its events (`record` holds it as the API presents it)."""
    record = event.data.get("record") or {}
    kept = {k: copy.deepcopy(record[k]) for k in KEPT if k in record}
    return {**(doc or {}), **kept, "workspace_id": event.workspace_id, "connection_id": event.stream_id,
            "created_ts": (doc or {}).get("created_ts", event.occurred_at.timestamp())}


def apply_notification(doc: Doc | None, event: EventEnvelope) -> Doc:
    return {**copy.deepcopy(event.data), "workspace_id": event.workspace_id,
            "created_at": event.occurred_at.isoformat(), "created_ts": event.occurred_at.timestamp()}


CONNECTIONS = Projection(name="sync.connections", service=decl.SERVICE, topics=(CONNECTION_EVENTS,),
                         collection=rx.CONNECTIONS, apply=apply_connection, indexes=((("workspace_id", 1),),))
NOTIFICATIONS = Projection(name="sync.notifications", service=decl.SERVICE, topics=(decl.NOTIFICATION_EVENTS,),
                           collection=rx.NOTIFICATIONS, apply=apply_notification,
                           indexes=((("workspace_id", 1),),))

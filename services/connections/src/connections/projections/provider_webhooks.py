"""Read models of provider webhooks: the subscriptions (with the sealed secret, for this service's verification
only; no API view shows it) and the accepted deliveries (one row each, without the body: the event holds it)."""

from __future__ import annotations

import copy
from typing import Any

from connections_contracts import declarations as decl
from connections_contracts import provider_webhooks as pw
from junction_common.envelope import EventEnvelope
from junction_common.projections.runner import Projection

Doc = dict[str, Any]
# fields of the read model no API view shows
INTERNAL = ("secret_sealed", "forward_secret_sealed", "token_hash", "created_ts")


def apply_subscription(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: the subscription document after `event`; time from `occurred_at`."""
    at = event.occurred_at.isoformat()
    data = copy.deepcopy(event.data)
    if event.type.endswith(".created"):
        return {**data["record"], "id": event.stream_id, "workspace_id": event.workspace_id,
                "secret_sealed": data.get("secret_sealed"), "forward_secret_sealed": data.get("forward_secret_sealed"),
                "created_at": at, "updated_at": at,
                "created_ts": event.occurred_at.timestamp()}
    if event.type.endswith(".keys_rotated"):  # only the wrapping changed: not an update the API shows
        return {**(doc or {}), **{name: data[name] for name in pw.SEALED_FIELDS if name in data}}
    if event.type.endswith(".secret_received"):  # a handshake's secret: internal, not an update the API shows
        return {**(doc or {}), "secret_sealed": data["secret_sealed"]}
    new = {**(doc or {}), **data["changes"], "updated_at": at}
    if data["changes"].get("status") == pw.DELETED:
        new.update(secret_sealed=None, forward_secret_sealed=None, deleted_at=at)
    return new


def apply_delivery(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: one row per accepted delivery, its body left to the event."""
    data = event.data
    return {"id": event.stream_id, "workspace_id": event.workspace_id, "subscription_id": data["subscription_id"],
            "provider": data["provider"], "event_type": data.get("event_type"),
            "delivery_id": data.get("delivery_id"), "received_at": event.occurred_at.isoformat()}


SUBSCRIPTIONS = Projection(name="connections.provider_webhook_subscriptions", service=decl.SERVICE,
                           topics=(decl.SUBSCRIPTION_EVENTS,), collection=pw.SUBSCRIPTIONS,
                           apply=apply_subscription, indexes=((("workspace_id", 1),),))
DELIVERIES = Projection(name="connections.provider_webhook_deliveries", service=decl.SERVICE,
                        topics=(decl.PROVIDER_WEBHOOK_EVENTS,), collection=pw.DELIVERIES, apply=apply_delivery,
                        indexes=((("subscription_id", 1),),))

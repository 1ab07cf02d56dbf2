"""Read models of the webhooks service: endpoints (with their sealed secrets, for delivery) and event types."""

from __future__ import annotations

import copy
from typing import Any

from junction_common.envelope import EventEnvelope
from junction_common.projections.runner import Projection
from webhooks_contracts import declarations as wh
from webhooks_contracts.event_upcasters import UPCASTERS
from webhooks_contracts.events import DERIVED

Doc = dict[str, Any]


def apply_endpoint(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: the endpoint document after `event` (v2: a creation's `record`, a change's `changes`, the sealed
    secrets from their internal fields); time comes from `occurred_at`."""
    at = event.occurred_at.isoformat()
    verb = event.type.rsplit(".", 1)[-1]
    data = copy.deepcopy(event.data)
    if verb == "created":
        own = {k: v for k, v in data["record"].items() if k not in DERIVED}
        return {**own, "secret_sealed": data["secret_sealed"], "id": event.stream_id,
                "workspace_id": event.workspace_id, "deleted": False, "previous_secrets": [], "created_at": at,
                "updated_at": at, "created_ts": event.occurred_at.timestamp(), "status_changed_at": at}
    current, changes = dict(doc or {}), data["changes"]
    if verb == "deleted":
        return {**current, **changes, "deleted": True, "deleted_at": at, "updated_at": at}
    if verb == "keys_rotated":  # only the wrapping changed: not an update the API shows
        return {**current, **{k: data[k] for k in ("secret_sealed", "previous_secrets") if data.get(k) is not None}}
    if verb == "secret_rotated":
        changes = {**changes, "secret_sealed": data["secret_sealed"], "previous_secrets": data["previous_secrets"]}
    new = {**current, **changes, "updated_at": at}
    if "status" in changes and changes["status"] != current.get("status"):
        new["status_changed_at"] = at
    return new


def apply_event_type(doc: Doc | None, event: EventEnvelope) -> Doc:
    at = event.occurred_at.isoformat()
    own = {k: v for k, v in event.data["record"].items() if k != "custom"}
    return {**copy.deepcopy(own), "id": event.stream_id, "workspace_id": event.workspace_id,
            "created_at": at, "updated_at": at}


ENDPOINTS = Projection(name="webhooks.endpoints", service=wh.SERVICE, topics=(wh.ENDPOINT_EVENTS,),
                       collection=wh.ENDPOINTS, apply=apply_endpoint,
                       indexes=((("workspace_id", 1),), (("workspace_id", 1), ("status", 1))), upcasters=UPCASTERS)
EVENT_TYPES = Projection(name="webhooks.event_types", service=wh.SERVICE, topics=(wh.EVENT_TYPE_EVENTS,),
                         collection=wh.EVENT_TYPES, apply=apply_event_type,
                         indexes=((("workspace_id", 1), ("key", 1)),), upcasters=UPCASTERS)
PROJECTIONS = [ENDPOINTS, EVENT_TYPES]

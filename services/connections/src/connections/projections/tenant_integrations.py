"""The `tenant_integrations` read model: one document per tenant integration, with its sealed secret settings and
its inbound key's hash (for this service's own tests and key checks; no API view shows them) until a delete
erases them."""

from __future__ import annotations

import copy
from typing import Any

from connections_contracts import declarations as decl
from connections_contracts import tenant_integrations as ti
from junction_common.envelope import EventEnvelope
from junction_common.projections.runner import Projection

Doc = dict[str, Any]
INTERNAL = ("settings_sealed", "key_hash", "created_ts")


def apply_tenant_integration(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: the integration document after `event`; time comes from `occurred_at`."""
    at = event.occurred_at.isoformat()
    verb = event.type.rsplit(".", 1)[-1]
    data = copy.deepcopy(event.data)
    if verb == "created":
        return {**data["record"], "id": event.stream_id, "workspace_id": event.workspace_id,
                "settings_sealed": data.get("settings_sealed"), "key_hash": data["key_hash"],
                "created_at": at, "updated_at": at, "created_ts": event.occurred_at.timestamp()}
    if verb == "keys_rotated":  # only the wrapping changed: not an update the API shows
        return {**(doc or {}), "settings_sealed": data["settings_sealed"]}
    new = {**(doc or {}), **data["changes"], "updated_at": at}
    if "settings_sealed" in data:
        new["settings_sealed"] = data["settings_sealed"]
    if verb == "key_regenerated":
        new["key_hash"] = data["key_hash"]
    if verb == "deleted":
        new.update(settings_sealed=None, key_hash=None, deleted_at=at)
    return new


TENANT_INTEGRATIONS = Projection(
    name="connections.tenant_integrations", service=decl.SERVICE, topics=(decl.TENANT_INTEGRATION_EVENTS,),
    collection=ti.COLLECTION, apply=apply_tenant_integration,
    indexes=((("workspace_id", 1), ("created_ts", 1)), (("key_hash", 1),)))

"""The `connections` read model: one document per connection, with its sealed credentials (for this service's
own tests, checks and proxy calls; no API view shows them) until a disconnect or delete erases them."""

from __future__ import annotations

import copy
from typing import Any

from connections_contracts import connection as cx
from connections_contracts import declarations as decl
from junction_common.envelope import EventEnvelope
from junction_common.projections.runner import Projection

Doc = dict[str, Any]
# Fields of the read model no API view shows.
INTERNAL = ("credentials_sealed", "created_ts", "webhook_token_hash", "webhook_token_format", "webhook_token_sealed")


def _token_fields(token: Doc | None) -> Doc:
    """The inbound webhook token's lookup hash, format and sealed copy (none before tokens existed)."""
    if not token:
        return {}
    return {"webhook_token_hash": token["hash"], "webhook_token_format": token["format"],
            "webhook_token_sealed": token["sealed"]}


def apply_connection(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: the connection document after `event`; time comes from `occurred_at`."""
    at = event.occurred_at.isoformat()
    verb = event.type.rsplit(".", 1)[-1]
    data = copy.deepcopy(event.data)
    if verb == "created":
        return {**data["record"], "id": event.stream_id, "workspace_id": event.workspace_id,
                "credentials_sealed": data.get("credentials_sealed"), "created_at": at, "updated_at": at,
                "created_ts": event.occurred_at.timestamp(), **_token_fields(data.get("webhook_token"))}
    new = {**(doc or {}), **data["changes"], "updated_at": at}
    if verb == "credentials_replaced":
        new["credentials_sealed"] = data["credentials_sealed"]
    if verb in ("disconnected", "deleted"):
        new["credentials_sealed"] = None
    if verb == "deleted":
        new["deleted_at"] = at
    if verb == "webhook_token_issued":
        new.update(_token_fields(data["webhook_token"]))
    if verb == "credentials_rotated":
        new.update({k: data[k] for k in ("credentials_sealed", "webhook_token_sealed") if data.get(k)})
    return new


# Single-field indexes (nx-27017 scans for compound ones): by workspace, by token hash, by variant group.
INDEXES = ((("workspace_id", 1),), (("webhook_token_hash", 1),), (("variant_group_id", 1),))
CONNECTIONS = Projection(name="connections.connections", service=decl.SERVICE, topics=(decl.CONNECTION_EVENTS,),
                         collection=cx.COLLECTION, apply=apply_connection, indexes=INDEXES)

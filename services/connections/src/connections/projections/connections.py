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
INTERNAL = ("credentials_sealed", "created_ts")


def apply_connection(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: the connection document after `event`; time comes from `occurred_at`."""
    at = event.occurred_at.isoformat()
    verb = event.type.rsplit(".", 1)[-1]
    data = copy.deepcopy(event.data)
    if verb == "created":
        return {**data["record"], "id": event.stream_id, "workspace_id": event.workspace_id,
                "credentials_sealed": data.get("credentials_sealed"), "created_at": at, "updated_at": at,
                "created_ts": event.occurred_at.timestamp()}
    new = {**(doc or {}), **data["changes"], "updated_at": at}
    if verb == "credentials_replaced":
        new["credentials_sealed"] = data["credentials_sealed"]
    if verb in ("disconnected", "deleted"):
        new["credentials_sealed"] = None
    if verb == "deleted":
        new["deleted_at"] = at
    return new


CONNECTIONS = Projection(name="connections.connections", service=decl.SERVICE, topics=(decl.CONNECTION_EVENTS,),
                         collection=cx.COLLECTION, apply=apply_connection, indexes=((("workspace_id", 1),),))

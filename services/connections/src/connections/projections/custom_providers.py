"""The `custom_providers` read model: one document per workspace and custom provider type, with its manifest in
force (JSON, as validated); a deleted one is kept, marked, without its manifest."""

from __future__ import annotations

import copy
from typing import Any

from connections_contracts import custom_providers as cp
from connections_contracts import declarations as decl
from junction_common.envelope import EventEnvelope
from junction_common.projections.runner import Projection

Doc = dict[str, Any]


def apply_custom_provider(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: the provider document after `event`; time comes from `occurred_at`."""
    at = event.occurred_at.isoformat()
    record = copy.deepcopy(event.data["record"])
    registered = event.type.endswith(".registered")
    created_at = at if registered or doc is None else doc.get("created_at", at)
    return {**record, "workspace_id": event.workspace_id, "created_at": created_at, "updated_at": at}


CUSTOM_PROVIDERS = Projection(
    name="connections.custom_providers", service=decl.SERVICE, topics=(decl.CUSTOM_PROVIDER_EVENTS,),
    collection=cp.COLLECTION, apply=apply_custom_provider, indexes=((("workspace_id", 1), ("type", 1)),))

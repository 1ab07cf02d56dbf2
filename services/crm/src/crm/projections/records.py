"""Read models of every declared CRM resource: one collection each, folded from its events."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from crm.domain.events import META
from crm.domain.record import merge_patch
from crm_contracts.crm import CRM_RESOURCES
from crm_contracts.event_upcasters import UPCASTERS
from junction_common.contracts.resources import ResourceContract
from junction_common.envelope import EventEnvelope
from junction_common.projections.runner import Projection

Doc = dict[str, Any]


def apply(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: the record document after `event` (v2: a creation's `record`, a change's `changes`); time comes
    from `occurred_at`."""
    at = event.occurred_at.isoformat()
    verb = event.type.rsplit(".", 1)[-1]
    if verb == "created":
        own = {k: v for k, v in event.data["record"].items() if k not in META}
        return _with_search_text({**copy.deepcopy(own), "id": event.stream_id, "workspace_id": event.workspace_id,
                                  "archived": False, "created_at": at, "updated_at": at})
    current, changes = dict(doc or {}), copy.deepcopy(event.data["changes"])
    if verb == "archived":
        return {**current, **changes, "archived": True, "archived_at": at, "updated_at": at}
    return _with_search_text({**merge_patch(current, changes), "updated_at": at})


def _with_search_text(doc: Doc) -> Doc:
    """Records with free-form `fields` (CMS entries) are searched through their title and field values."""
    if isinstance(doc.get("fields"), dict):
        values = [str(v) for v in doc["fields"].values() if isinstance(v, str | int | float)]
        doc["search_text"] = " ".join([str(doc.get("title", "")), *values])
    return doc


def _projection(contract: ResourceContract, fold: Callable[[Doc | None, EventEnvelope], Doc]) -> Projection:
    indexes: list[tuple[tuple[str, int], ...]] = [(("workspace_id", 1),)]
    indexes += [(("workspace_id", 1), (f.doc_field, 1)) for f in contract.filters]
    return Projection(name=contract.collection, service=contract.service, topics=(contract.events_topic,),
                      collection=contract.collection, apply=fold, indexes=tuple(indexes), upcasters=UPCASTERS)


PROJECTIONS: list[Projection] = [_projection(c, apply) for c in CRM_RESOURCES]

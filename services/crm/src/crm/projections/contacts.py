"""Contacts read model: one document per contact, as the API returns it."""

from __future__ import annotations

import copy
from typing import Any

from crm import topics
from crm.domain.contact import CONTACT_CREATED
from crm_contracts.event_upcasters import UPCASTERS
from junction_common.envelope import EventEnvelope
from junction_common.projections.runner import Projection

Doc = dict[str, Any]


def apply(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: the contact document after `event` (time from `occurred_at`, never the clock)."""
    if event.type == CONTACT_CREATED:
        return {
            **copy.deepcopy(event.data["record"]),
            "id": event.stream_id,
            "workspace_id": event.workspace_id,
            "created_at": event.occurred_at.isoformat(),
            "updated_at": event.occurred_at.isoformat(),
        }
    return dict(doc or {})


PROJECTION = Projection(
    name="contacts",
    service="crm",
    topics=(topics.CONTACT_EVENTS,),
    collection="contacts",
    apply=apply,
    indexes=((("workspace_id", 1),), (("workspace_id", 1), ("company_id", 1))),
    upcasters=UPCASTERS,
)

"""The `flow_triggers` read model: one document per trigger subscription, with the fields the trigger sources look
up (`flow_id`, `kind`, `token_hash`, `status`), the sealed webhook secret (no view shows it), and `since_ts`: when its
current configuration took effect (created, or last updated): nothing before it fires."""

from __future__ import annotations

import copy
from typing import Any

from flows_contracts import declarations as decl
from flows_contracts import triggers as tx
from junction_common.envelope import EventEnvelope
from junction_common.projections.runner import Projection

Doc = dict[str, Any]


def apply_trigger(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: the subscription after `event`; time comes from `occurred_at`."""
    at = event.occurred_at.isoformat()
    record = copy.deepcopy(event.data["record"])
    if event.type == tx.TRIGGER_CREATED:
        ts = event.occurred_at.timestamp()
        return {**record, "id": event.stream_id, "workspace_id": event.workspace_id, "created_at": at,
                "updated_at": at, "created_ts": ts, "since_ts": ts}
    new = {**(doc or {}), **event.data.get("changes", {}), "updated_at": at}
    if event.type == tx.TRIGGER_DELETED:
        new.update(deleted_at=at, token_hash=None)
    if event.type == tx.TRIGGER_UPDATED:  # what fires is judged from here on (no catch-up of the new config)
        new["since_ts"] = event.occurred_at.timestamp()
    return new


TRIGGERS = Projection(name="flows.triggers", service=decl.SERVICE, topics=(decl.TRIGGER_EVENTS,),
                      collection=tx.TRIGGERS, apply=apply_trigger,
                      indexes=((("workspace_id", 1),), (("flow_id", 1),), (("token_hash", 1),), (("kind", 1),)))

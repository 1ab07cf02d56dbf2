"""The `workflows` read model: one document per workflow, its current graph (the draft being edited or the
published one), its status and version, and the published version's frozen graph (what executions run)."""

from __future__ import annotations

import copy
from typing import Any

from flows_contracts import declarations as decl
from flows_contracts import workflows as wx
from junction_common.envelope import EventEnvelope
from junction_common.projections.runner import Projection

Doc = dict[str, Any]
INTERNAL = ("published", "deleted", "created_ts", "search_text")


def apply_workflow(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: the workflow document after `event`; time comes from `occurred_at`."""
    at = event.occurred_at.isoformat()
    data = copy.deepcopy(event.data)
    if event.type == "workflow.created":
        return {"id": event.stream_id, "workspace_id": event.workspace_id, "name": data["name"],
                "description": data.get("description"), "status": wx.DRAFT, "version": data["version"],
                "published_version": None, **data["definition"], "published": None, "deleted": False,
                "search_text": data["name"].lower(), "created_at": at, "updated_at": at,
                "created_ts": event.occurred_at.timestamp()}
    new = {**(doc or {}), "updated_at": at}
    if event.type == "workflow.updated":
        new.update(data["changes"])
        new.update(data.get("definition") or {})
        new.update(version=data["version"], status=data["status"], search_text=str(new.get("name", "")).lower())
    elif event.type == "workflow.published":
        new.update(status=wx.PUBLISHED, version=data["version"], published_version=data["version"],
                   published={"version": data["version"], "definition": data["definition"]},
                   **data["definition"])
    elif event.type == "workflow.deleted":
        new.update(deleted=True, deleted_at=at)
    return new


WORKFLOWS = Projection(name="flows.workflows", service=decl.SERVICE, topics=(decl.WORKFLOW_EVENTS,),
                       collection=wx.COLLECTION, apply=apply_workflow, indexes=((("workspace_id", 1),),))

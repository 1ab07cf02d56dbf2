"""Changes to runs, cursors and notifications: each a command run through this service's own executor (decided
by the pure domain, appended to the event store, relayed to its topic), answered with its outcome."""

from __future__ import annotations

from typing import Any

from junction_common.envelope import Actor, CommandEnvelope
from junction_common.ids import new_ulid
from junction_common.service import ServiceRuntime
from junction_common.store.outcomes import SUCCEEDED
from junction_common.web.envelope import ApiError

Doc = dict[str, Any]
SYSTEM = Actor(kind="system", id="sync")


async def execute(runtime: ServiceRuntime, command: str, aggregate_id: str, workspace_id: str, data: Doc, *,
                  actor: Actor = SYSTEM, request_id: str = "", command_id: str | None = None) -> Doc:
    """Decide and append `command`; its outcome (`version` is the stream's after it). A refusal is an ApiError."""
    rid = request_id or "run_" + new_ulid()
    cmd = CommandEnvelope(command_id=command_id or f"cmd_{new_ulid()}", type=command, aggregate_id=aggregate_id,
                          workspace_id=workspace_id, actor=actor, request_id=rid, correlation_id=rid, data=data)
    await runtime.executor.execute(cmd, await runtime.spec.decider_for(cmd, runtime.db))
    outcome = await runtime.outcomes.get(cmd.command_id, workspace_id)
    if outcome is None or outcome["status"] != SUCCEEDED:
        error = (outcome or {}).get("error") or {}
        raise ApiError(error.get("code", "INTERNAL_ERROR"), error.get("message", "The change was not recorded."),
                       error.get("details"))
    return dict(outcome)


async def readable(runtime: ServiceRuntime, collection: str, doc_id: str, version: int,
                   timeout_s: float = 10.0) -> Doc | None:
    """The read model's document once it shows `version` (None if it does not in time)."""
    if version <= 0:
        found = await runtime.db[collection].find_one({"_id": doc_id})
        return dict(found) if found else None
    doc = await runtime.waits.readable(runtime.db.name, collection, doc_id, version, timeout_s)
    return dict(doc) if doc is not None else None

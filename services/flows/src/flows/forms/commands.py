"""The synchronous write path of forms and trigger subscriptions: a command decided and appended through this
service's executor (its id derived from the request, so a repeat of one request repeats nothing), answered with
the resource once its read model shows it (a GET right after sees it)."""

from __future__ import annotations

from typing import Any

from junction_common.envelope import Actor, CommandEnvelope
from junction_common.identity import Principal
from junction_common.service import ServiceRuntime
from junction_common.store.outcomes import SUCCEEDED
from junction_common.web.envelope import ApiError

Doc = dict[str, Any]
SETTLE_TIMEOUT_S = 10.0


async def run_command(runtime: ServiceRuntime, principal: Principal, request_id: str, command: str,
                      aggregate_id: str, data: Doc, collection: str) -> Doc:
    """Decide and append `command` on `aggregate_id`; its read model document once readable."""
    cmd = CommandEnvelope(command_id=f"cmd_{request_id}.{command}.{aggregate_id}", type=command,
                          aggregate_id=aggregate_id, workspace_id=principal.workspace_id,
                          actor=Actor(kind="api_key", id=principal.key_id), request_id=request_id,
                          correlation_id=request_id, data=data)
    await runtime.executor.execute(cmd, await runtime.spec.decider_for(cmd, runtime.db))
    outcome = await runtime.outcomes.get(cmd.command_id, principal.workspace_id)
    if outcome is None or outcome["status"] != SUCCEEDED:
        error = (outcome or {}).get("error") or {}
        raise ApiError(error.get("code", "INTERNAL_ERROR"), error.get("message", "The change was not recorded."),
                       error.get("details"))
    doc = await runtime.waits.readable(runtime.db.name, collection, aggregate_id, outcome["version"],
                                       SETTLE_TIMEOUT_S)
    if doc is None:
        doc = await runtime.db[collection].find_one({"_id": aggregate_id})
    if doc is None:
        raise ApiError("INTERNAL_ERROR", "The change was recorded but is not readable yet.", {"id": aggregate_id})
    return dict(doc)

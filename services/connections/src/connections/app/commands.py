"""Running one command of this service synchronously, for the internal API's operations that hold a secret
(tenant integrations, custom providers): decided and appended through the service's own executor (a command id
derived from the request, so a repeat of one request repeats nothing), answered once the read model shows it."""

from __future__ import annotations

from typing import Any

from connections.app.operations import SETTLE_TIMEOUT_S, Call
from junction_common.envelope import Actor, CommandEnvelope
from junction_common.service import ServiceRuntime
from junction_common.store.outcomes import SUCCEEDED
from junction_common.web.envelope import ApiError

Doc = dict[str, Any]


async def run_command(runtime: ServiceRuntime, call: Call, command: str, aggregate_id: str, data: Doc,
                      collection: str | None) -> Doc | None:
    """Decide and append `command`; the aggregate's document of `collection` once at the committed version (no
    wait without a collection: an aggregate no read model folds)."""
    cmd = CommandEnvelope(command_id=f"cmd_{call.request_id}.{command}.{aggregate_id}", type=command,
                          aggregate_id=aggregate_id, workspace_id=call.workspace_id,
                          actor=call.actor or Actor(kind="api_key", id=call.principal.key_id),
                          request_id=call.request_id, correlation_id=call.request_id, data=data)
    await runtime.executor.execute(cmd, await runtime.spec.decider_for(cmd, runtime.db))
    outcome = await runtime.outcomes.get(cmd.command_id, call.workspace_id)
    if outcome is None or outcome["status"] != SUCCEEDED:
        error = (outcome or {}).get("error") or {}
        raise ApiError(error.get("code", "INTERNAL_ERROR"), error.get("message", "The change was not recorded."),
                       error.get("details"))
    if collection is None:
        return None
    doc = await runtime.waits.readable(runtime.db.name, collection, aggregate_id, outcome["version"],
                                       SETTLE_TIMEOUT_S)
    return dict(doc) if doc is not None else None

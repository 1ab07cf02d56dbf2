"""The table aggregate's commands, run synchronously through the service's executor (the internal API and the
writer call them); the state a caller continues with is the fold of the stream as stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from junction_common.envelope import Actor, CommandEnvelope
from junction_common.ids import new_ulid
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.store.outcomes import SUCCEEDED
from junction_common.web.envelope import ApiError
from sync.domain import table as domain
from sync_contracts import tables as tx

log = get_logger(__name__)
Doc = dict[str, Any]
SETTLE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Cause:
    """Who asked and in which request or run (the command id derives from it when it is a request)."""

    workspace_id: str
    actor: Actor
    correlation_id: str
    request_id: str | None = None


class TableService:
    """Decide and append table changes; read tables from the stream or the read model."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.docs = runtime.db[tx.TABLES]

    async def state(self, table_id: str) -> domain.Table | None:
        events, _ = await self.runtime.store.load(table_id)
        return domain.fold(events)

    async def run(self, cause: Cause, command: str, table_id: str, data: Doc) -> tuple[domain.Table | None, int]:
        """The table after the command (and its stream's version); a refusal raises ApiError."""
        suffix = cause.request_id or new_ulid()
        cmd = CommandEnvelope(command_id=f"cmd_{suffix}.{command}.{table_id}", type=command, aggregate_id=table_id,
                              workspace_id=cause.workspace_id, actor=cause.actor, request_id=cause.request_id or "",
                              correlation_id=cause.correlation_id, data=data)
        runtime = self.runtime
        await runtime.executor.execute(cmd, domain.decide)
        outcome = await runtime.outcomes.get(cmd.command_id, cause.workspace_id)
        if outcome is None or outcome["status"] != SUCCEEDED:
            error = (outcome or {}).get("error") or {}
            raise ApiError(error.get("code", "INTERNAL_ERROR"), error.get("message", "The change was not recorded."),
                           error.get("details"))
        events, version = await runtime.store.load(table_id)
        return domain.fold(events), version

    async def readable(self, table_id: str, version: int) -> Doc | None:
        """The read model once it shows `version` (a GET right after the answer sees the change)."""
        doc = await self.runtime.waits.readable(self.runtime.db.name, tx.TABLES, table_id, version, SETTLE_TIMEOUT_S)
        return dict(doc) if doc is not None else await self.doc(table_id)

    async def doc(self, table_id: str) -> Doc | None:
        found = await self.docs.find_one({"_id": table_id})
        return dict(found) if found is not None else None

    async def of_workspace(self, workspace_id: str) -> list[Doc]:
        found = self.docs.find({"workspace_id": workspace_id})
        return sorted([dict(d) async for d in found if not d.get("deleted")], key=lambda d: d.get("slug", ""))

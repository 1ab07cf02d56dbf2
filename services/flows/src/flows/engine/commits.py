"""An execution's events, stamped as the engine makes them and appended as commits of its stream: group-committed
across executions (one `insert_many` per round trip), handed to the relay as inserted. The engine holding an
execution's lease is its only writer; a commit refused at its `stream@version` means another engine took the
execution over (this one lost its lease), so this one stops."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic_core import to_jsonable_python

from flows.domain.execution import Execution, evolve_with
from junction_common.batching import GroupCommit
from junction_common.envelope import Actor, NewEvent
from junction_common.ids import new_ulid
from junction_common.service import ServiceRuntime
from junction_common.store.event_store import stored_commit

Doc = dict[str, Any]


class LostLease(Exception):
    """Another engine appended to this execution first."""


class CommitLog:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self._writer: GroupCommit[Doc, bool] = GroupCommit(self._insert, size=400, wait_s=0.002)

    async def _insert(self, docs: list[Doc]) -> list[bool]:
        """True per commit inserted; False for one refused at its `stream@version`."""
        refused = await self.runtime.store.append_many(docs)
        inserted = [d for i, d in enumerate(docs) if i not in refused]
        if inserted:
            self.runtime.relay.send(inserted)
        return [i not in refused for i in range(len(docs))]

    async def append(self, commit: Doc) -> None:
        """Append a commit document (ExecutionLog.take); LostLease when its `stream@version` is taken."""
        if not commit["events"]:
            return
        if not await self._writer.submit({**commit, "committed_at": datetime.now(UTC)}):
            raise LostLease(commit["stream_id"])

    async def drain(self) -> None:
        await self._writer.drain()


class ExecutionLog:
    """One execution's state and the events made since its last commit, held in their stored form."""

    def __init__(self, state: Execution | None, execution_id: str, workspace_id: str, correlation_id: str,
                 actor: Actor) -> None:
        self.state, self.execution_id, self.workspace_id = state, execution_id, workspace_id
        self.correlation_id, self.actor = correlation_id, actor.model_dump()
        self.version = state.version if state else 0
        self.pending: list[Doc] = []

    def add(self, new: list[NewEvent]) -> None:
        """Stamp `new` at the next versions, in the stored form `EventEnvelope.model_dump(mode="json")` gives,
        and fold it into the state. Built from values already typed (not validated again, no envelope object per
        event: the engine makes several per step); one clock reading per call."""
        at = to_jsonable_python(datetime.now(UTC))
        for event in new:
            self.version += 1
            data = to_jsonable_python(event.data)
            self.pending.append({
                "event_id": "evt_" + new_ulid(), "type": event.type, "schema_version": event.schema_version,
                "stream_id": self.execution_id, "version": self.version, "workspace_id": self.workspace_id,
                "occurred_at": at, "command_id": f"cmd_{self.execution_id}.{self.version}",
                "correlation_id": self.correlation_id, "causation_id": self.execution_id, "actor": self.actor,
                "data": data})
            self.state = evolve_with(self.state, event.type, data, self.execution_id, self.workspace_id,
                                     self.version)

    def take(self) -> Doc | None:
        """The pending events as one commit document, as `commit_document` stores it (None when there are none);
        its `committed_at` is set when it is appended."""
        if not self.pending:
            return None
        events, self.pending = self.pending, []
        base = events[0]["version"] - 1
        return stored_commit(self.execution_id, base, f"cmd_{self.execution_id}@{base}", self.workspace_id, events,
                             None)


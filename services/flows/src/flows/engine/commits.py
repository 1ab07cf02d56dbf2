"""An execution's events, stamped as the engine makes them and appended as commits of its stream: group-committed
across executions (one `insert_many` per round trip, each commit's events packed as one JSON text: see
`junction_common.store.event_store`), handed to the relay as inserted. The engine holding an
execution's lease is its only writer; a commit refused at its `stream@version` means another engine took the
execution over (this one lost its lease), so this one stops.

The `executions` read model is written in the same round, right after the commits: the engine folds each event
into the execution's read-model document with the projection's own apply as it stamps it, so the document is the
one the projection consumer would build; that consumer then finds it already at the events' versions and skips
them (a crash between the commit and this write is healed by it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic_core import to_jsonable_python
from pymongo import InsertOne, ReplaceOne
from pymongo.errors import BulkWriteError

from flows.domain.execution import Execution, evolve_with, fold
from flows.projections.executions import apply_execution, fold_execution, packed
from flows_contracts import executions as ex
from junction_common.batching import GroupCommit
from junction_common.envelope import Actor, EventEnvelope, NewEvent
from junction_common.ids import new_ulid
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.store.event_store import packed_events, stored_commit

log = get_logger(__name__)
Doc = dict[str, Any]
DUPLICATE_KEY = 11000


class LostLease(Exception):
    """Another engine appended to this execution first."""


class CommitLog:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.views = runtime.db[ex.COLLECTION]
        self._writer: GroupCommit[tuple[Doc, Doc], bool] = GroupCommit(self._insert, size=400, wait_s=0.002)

    async def _insert(self, items: list[tuple[Doc, Doc]]) -> list[bool]:
        """True per commit inserted; False for one refused at its `stream@version`. The inserted commits go to the
        relay at once (a relay drain reads the store's unpublished commits: one handed over later would be read back
        by it), then their read-model documents are written: publishing, consuming and the consumer's `_version`
        read take longer than that write, so the consumer finds them written."""
        refused = await self.runtime.store.append_many([packed_events(commit) for commit, _ in items])
        inserted = [item for i, item in enumerate(items) if i not in refused]
        if inserted:
            self.runtime.relay.send([commit for commit, _ in inserted])
            await self._write_views([(commit["base_version"], view) for commit, view in inserted])
        return [i not in refused for i in range(len(items))]

    async def _write_views(self, views: list[tuple[int, Doc]]) -> None:
        """Each document (with the version its commit followed) inserted after a first commit, else replacing one
        at an earlier version (or inserted): one unordered bulk write. A document already at its version or later
        (the consumer got there first) refuses it as a duplicate `_id`; any other failure is left to the
        projection consumer, which applies the events the document lacks."""
        writes = [InsertOne(v) if base == 0 else
                  ReplaceOne({"_id": v["_id"], "_version": {"$lt": v["_version"]}}, v, upsert=True)
                  for base, v in views]
        try:
            await self.views.bulk_write(writes, ordered=False)
        except BulkWriteError as exc:
            if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                log.warning("execution_views_not_written", errors=len(exc.details.get("writeErrors", [])))
        except Exception:
            log.exception("execution_views_not_written")

    async def append(self, commit: Doc, view: Doc) -> None:
        """Append a commit document with the read-model document after it (ExecutionLog.take); LostLease when its
        `stream@version` is taken."""
        if not commit["events"]:
            return
        if not await self._writer.submit(({**commit, "committed_at": datetime.now(UTC)}, view)):
            raise LostLease(commit["stream_id"])

    async def drain(self) -> None:
        await self._writer.drain()


class ExecutionLog:
    """One execution's state, its read-model document and the events made since its last commit, held in their
    stored form."""

    def __init__(self, events: list[EventEnvelope], execution_id: str, workspace_id: str, correlation_id: str,
                 actor: Actor) -> None:
        self.state: Execution | None = fold(events)
        self.view: Doc | None = None
        for event in events:
            self.view = apply_execution(self.view, event)
        self.execution_id, self.workspace_id = execution_id, workspace_id
        self.correlation_id, self.actor = correlation_id, actor.model_dump()
        self.version = self.state.version if self.state else 0
        self.pending: list[Doc] = []

    def add(self, new: list[NewEvent]) -> None:
        """Stamp `new` at the next versions, in the stored form `EventEnvelope.model_dump(mode="json")` gives,
        and fold it into the state and the read-model document. Built from values already typed (not validated
        again, no envelope validated per event: the engine makes several per step); one clock reading per call."""
        now = datetime.now(UTC)
        at = to_jsonable_python(now)
        for event in new:
            self.version += 1
            data = to_jsonable_python(event.data)
            stored = {
                "event_id": "evt_" + new_ulid(), "type": event.type, "schema_version": event.schema_version,
                "stream_id": self.execution_id, "version": self.version, "workspace_id": self.workspace_id,
                "occurred_at": at, "command_id": f"cmd_{self.execution_id}.{self.version}",
                "correlation_id": self.correlation_id, "causation_id": self.execution_id, "actor": self.actor,
                "data": data}
            self.pending.append(stored)
            self.state = evolve_with(self.state, event.type, data, self.execution_id, self.workspace_id,
                                     self.version)
            self.view = fold_execution(self.view, event.type, data, now, self.execution_id, self.workspace_id)

    def take(self) -> tuple[Doc, Doc] | None:
        """The pending events as one commit document, as `commit_document` stores it, and the read-model document
        after them, in its stored form (None when there are none); its `committed_at` is set when it is appended."""
        if not self.pending or self.view is None:
            return None
        events, self.pending = self.pending, []
        base = events[0]["version"] - 1
        commit = stored_commit(self.execution_id, base, f"cmd_{self.execution_id}@{base}", self.workspace_id,
                               events, None)
        return commit, packed({**self.view, "_id": self.execution_id, "_version": self.version})

"""The engine's work queue (`execution_runs`): one row per unfinished execution, operational state like the
webhooks delivery log (not event-sourced: the execution's events are the record; a row only says "run me").

A row: `_id` (the execution id), workspace_id, `start` (the execution.started payload and its actor, so a row whose
stream was never written can still start: kept as one JSON text, since the MongoDB server's cost per row grows with
the values a document holds and nothing queries inside it; `start_of` reads either form), `due_at` (epoch seconds:
now, a delay's end, a retry's time), and a lease (`lease_until`, `lease_token`): exactly one engine runs an
execution at a time, and a crashed engine's executions are taken over once their lease expires. A held row's
`due_at` is its lease's end, so the sweepers' `due_at` index range never holds the rows being run. The row is
deleted when the execution finishes.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from pydantic_core import from_json, to_json
from pymongo import ASCENDING, DeleteOne, InsertOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from flows_contracts import executions as ex
from junction_common.batching import GroupCommit, write_unordered

Doc = dict[str, Any]
Op = InsertOne[Doc] | UpdateOne | DeleteOne


def start_of(row: Doc) -> Doc:
    """A row's start (`data`, `actor`), stored as JSON text (or as a document, as rows were before)."""
    start = row.get("start") or {}
    return from_json(start) if isinstance(start, str) else dict(start)


class RunQueue:
    def __init__(self, db: AsyncDatabase[Doc], token: str, lease_s: float) -> None:
        self.rows = db[ex.RUNS]
        self.token, self.lease_s = token, lease_s
        self._writes: GroupCommit[Op, bool] = GroupCommit(partial(write_unordered, self.rows), wait_s=0.002)

    async def ensure_indexes(self) -> None:
        await self.rows.create_index([("due_at", ASCENDING)])
        await self.rows.create_index([("lease_token", ASCENDING)])

    async def add(self, execution_id: str, workspace_id: str, start: Doc, now: float) -> bool:
        """A new row, leased by this engine; False when the execution was already queued (the same start)."""
        row = {"_id": execution_id, "workspace_id": workspace_id, "start": to_json(start).decode(),
               "due_at": now + self.lease_s,
               "lease_until": now + self.lease_s, "lease_token": self.token, "created_ts": now}
        return await self._writes.submit(InsertOne(row))

    async def wait(self, execution_id: str, until: float) -> None:
        """Release the row until `until` (a delay, a retry): no worker holds it meanwhile."""
        await self._writes.submit(UpdateOne({"_id": execution_id, "lease_token": self.token},
                                            {"$set": {"due_at": until, "lease_until": 0.0, "lease_token": None}}))

    async def failed_run(self, execution_id: str, until: float) -> None:
        """The engine failed running it (not a step: the engine itself): counted, tried again at `until`."""
        await self._writes.submit(UpdateOne({"_id": execution_id, "lease_token": self.token},
                                            {"$set": {"due_at": until, "lease_until": 0.0, "lease_token": None},
                                             "$inc": {"engine_errors": 1}}))

    async def release(self, execution_id: str) -> None:
        """Hand the row back at once (this engine stops; another takes it over)."""
        await self._writes.submit(UpdateOne({"_id": execution_id, "lease_token": self.token},
                                            {"$set": {"due_at": 0.0, "lease_until": 0.0, "lease_token": None}}))

    async def finish(self, execution_id: str) -> None:
        await self._writes.submit(DeleteOne({"_id": execution_id}))

    async def release_all(self) -> None:
        """Hand back every row this engine holds (a clean stop: another engine takes them at once)."""
        await self.rows.update_many({"lease_token": self.token},
                                    {"$set": {"due_at": 0.0, "lease_until": 0.0, "lease_token": None}})

    async def renew(self, now: float) -> None:
        """Extend the lease of every row this engine holds."""
        held = now + self.lease_s
        await self.rows.update_many({"lease_token": self.token}, {"$set": {"due_at": held, "lease_until": held}})

    async def claim_due(self, now: float, limit: int, running: set[str]) -> list[Doc]:
        """Lease due rows whose lease expired (never run, a delay or retry due, or a crashed engine's)."""
        due = await self.rows.find({"due_at": {"$lte": now}, "lease_until": {"$lt": now}}, {"_id": 1}) \
            .sort("due_at", ASCENDING).limit(limit).to_list()
        ids = [d["_id"] for d in due if d["_id"] not in running]
        if not ids:
            return []
        await self.rows.update_many({"_id": {"$in": ids}, "lease_until": {"$lt": now}},
                                    {"$set": {"due_at": now + self.lease_s, "lease_until": now + self.lease_s,
                                              "lease_token": self.token}})
        rows = await self.rows.find({"_id": {"$in": ids}}).to_list()
        return [r for r in rows if r.get("lease_token") == self.token]

    async def get(self, execution_id: str) -> Doc | None:
        return await self.rows.find_one({"_id": execution_id})

    async def drain(self) -> None:
        await self._writes.drain()

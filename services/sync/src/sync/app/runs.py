"""Triggering and stopping runs. One connection never runs twice at once, across every replica: a trigger first
inserts the connection's run lock (`sync_run_locks`, `_id` = connection id), so a second trigger finds it taken and
is told which run holds it (run-all and cron skip the connection and say so). A worker leases the lock to run it
and removes it when the run ends."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from pymongo.errors import DuplicateKeyError

from junction_common.envelope import Actor, utcnow
from junction_common.ids import new_ulid
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError
from sync.app.runs_commands import execute, readable
from sync.app.runs_views import run_record
from sync_contracts import events as ev
from sync_contracts import runs as rx

Doc = dict[str, Any]
LOCKS = "sync_run_locks"
HOLD_S = 15.0  # a new lock waits this long for its run's request to be recorded before a worker may take it
PEOPLE = ("api_key", "user")  # actors that are someone (a webhook token, the scheduler are not)
FACTS_WAIT_S = 5.0  # a connection made a moment ago may not be in this service's read model yet


@dataclass(frozen=True)
class Triggered:
    run: Doc | None  # the new run, or None when the connection was already running
    running_id: str | None = None  # the run holding the connection, when skipped


class Runs:
    """Runs of a workspace's connections: trigger, stop, read."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.locks = runtime.db[LOCKS]
        self.runs = runtime.db[rx.RUNS]
        self.connections = runtime.db[rx.CONNECTIONS]

    async def connection(self, workspace_id: str, connection_id: str) -> Doc:
        """The connection's facts (as the connections service's events told them), or NOT_FOUND."""
        deadline = time.monotonic() + FACTS_WAIT_S
        while True:
            doc = await self.connections.find_one({"_id": connection_id})
            if doc is not None and doc.get("workspace_id") == workspace_id and not doc.get("deleted"):
                return dict(doc)
            if doc is not None or time.monotonic() > deadline:
                raise ApiError("NOT_FOUND", "The connection could not be found.", {"id": connection_id})
            await asyncio.sleep(0.2)

    async def caught_up(self, workspace_id: str, connection_ids: list[str]) -> None:
        """Wait (at most FACTS_WAIT_S) until this service's read model knows these connections of the workspace,
        so that a run-all right after a connection was made includes it."""
        deadline = time.monotonic() + FACTS_WAIT_S
        missing = set(connection_ids)
        while missing and time.monotonic() < deadline:
            found = self.connections.find({"_id": {"$in": sorted(missing)}}, {"workspace_id": 1})
            missing -= {str(d["_id"]) async for d in found if d.get("workspace_id") == workspace_id}
            if missing:
                await asyncio.sleep(0.2)

    async def run(self, workspace_id: str, connection_id: str, run_id: str) -> Doc:
        doc = await self.runs.find_one({"_id": run_id})
        if doc is None or doc.get("workspace_id") != workspace_id or doc.get("connection_id") != connection_id:
            raise ApiError("NOT_FOUND", "The sync run could not be found.", {"id": run_id})
        return dict(doc)

    async def trigger(self, workspace_id: str, connection_id: str, trigger: str, actor: Actor, *,
                      streams: list[str] | None = None, full_refresh: list[str] | None = None,
                      request_id: str = "") -> Triggered:
        """A PENDING run of the connection, unless it already has one PENDING or RUNNING."""
        await self.connection(workspace_id, connection_id)
        run_id = "run_" + new_ulid()
        lock = {"_id": connection_id, "run_id": run_id, "workspace_id": workspace_id, "owner": None,
                "lease_until": time.time() + HOLD_S, "cancel": False}
        try:
            await self.locks.insert_one(lock)
        except DuplicateKeyError:
            held = await self.locks.find_one({"_id": connection_id})
            return Triggered(None, (held or {}).get("run_id"))
        data: Doc = {"connection_id": connection_id, "trigger": trigger, "streams": streams or [],
                "triggered_by": actor.id if actor.kind in PEOPLE else None, "full_refresh": full_refresh or []}
        data["record"] = run_record({"_id": run_id, **data, "status": rx.PENDING, "requested_at": utcnow().isoformat()})
        try:
            outcome = await execute(self.runtime, ev.REQUEST_RUN, run_id, workspace_id, data, actor=actor,
                                    request_id=request_id)
        except BaseException:
            await self.locks.delete_one({"_id": connection_id, "run_id": run_id})
            raise
        await self.locks.update_one({"_id": connection_id, "run_id": run_id}, {"$set": {"lease_until": 0.0}})
        return Triggered(await readable(self.runtime, rx.RUNS, run_id, outcome["version"]))

    async def stop(self, workspace_id: str, connection_id: str, run_id: str, actor: Actor,
                   request_id: str = "") -> Doc:
        """Stop the run: a PENDING one is cancelled now, a RUNNING one by its worker within one page."""
        doc = await self.run(workspace_id, connection_id, run_id)
        if doc["status"] in rx.FINISHED:
            return doc
        held = await self.locks.find_one_and_update({"_id": connection_id, "run_id": run_id},
                                                    {"$set": {"cancel": True, "cancelled_by": actor.id}})
        if doc["status"] == rx.PENDING and (held is None or held.get("owner") is None):
            record = run_record(doc, status=rx.CANCELLED, completed_at=utcnow().isoformat())
            outcome = await execute(self.runtime, ev.CANCEL_RUN, run_id, workspace_id,
                                    {"cancelled_by": actor.id, "record": record}, actor=actor, request_id=request_id)
            await self.locks.delete_one({"_id": connection_id, "run_id": run_id})
            return await readable(self.runtime, rx.RUNS, run_id, outcome["version"]) or doc
        return await self.settled(run_id, doc)

    async def settled(self, run_id: str, doc: Doc, timeout_s: float = 10.0) -> Doc:
        """The run once it has ended (or as it stands after `timeout_s`)."""
        deadline = time.monotonic() + timeout_s
        while doc["status"] not in rx.FINISHED and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            doc = dict(await self.runs.find_one({"_id": run_id}) or doc)
        return doc

    async def running_ids(self, workspace_id: str) -> set[str]:
        """Connections of the workspace with a PENDING or RUNNING run."""
        return {d["_id"] async for d in self.locks.find({"workspace_id": workspace_id})}

"""The run worker: a component of the sync service that takes requested runs and runs them.

Bounded concurrency: at most `max_concurrent_runs` runs per process, across connections. A worker takes a run
by leasing its connection's lock (`sync_run_locks`, one per connection, so a connection never runs twice at once)
and renews the lease while it runs; a worker killed mid-run leaves a lease that lapses, and the next worker to
take the lock finds the run RUNNING and resumes it from its last checkpoint. The lock goes when the run ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable
from typing import Any

from pymongo.errors import PyMongoError

from junction_common.envelope import utcnow
from junction_common.ids import new_ulid
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.topics import TopicSpec, ensure_topics
from junction_common.web.peers import PeerClient
from sync.app import runs_errors, runs_notify
from sync.app.runs import LOCKS
from sync.app.runs_commands import execute
from sync.app.runs_execute import RunExecution, RunIO, RunStopped
from sync.app.runs_views import run_record
from sync.domain import run as run_domain
from sync.projections.runs_facts import CONNECTION_EVENTS, INTEGRATION_EVENTS
from sync_contracts import events as ev
from sync_contracts import runs as rx

log = get_logger(__name__)
Doc = dict[str, Any]
HEARTBEAT_S = 1.0  # how often a running run renews its lease and looks for a stop
ENDED = {ev.COMPLETE_RUN: rx.COMPLETED, ev.FAIL_RUN: rx.FAILED, ev.CANCEL_RUN: rx.CANCELLED}
COUNTS = ("rows_synced", "rows_created", "rows_updated")
MAX_ATTEMPTS = 5  # a run its workers keep dying in fails after this many starts


class RunWorker:
    def __init__(self, runtime: ServiceRuntime, io: Callable[[ServiceRuntime], RunIO]) -> None:
        settings = runtime.settings
        self.runtime, self._make_io = runtime, io
        self._io: RunIO | None = None
        self.locks = runtime.db[LOCKS]
        self.owner = "worker_" + new_ulid()
        self.limit = int(getattr(settings, "max_concurrent_runs", 4))
        self.lease_s = float(getattr(settings, "run_lease_s", 30.0))
        self.poll_s = float(getattr(settings, "run_poll_s", 0.5))
        self.peers = PeerClient(settings, caller="sync")
        self.running: dict[str, asyncio.Task[None]] = {}
        self._loop: asyncio.Task[None] | None = None

    @property
    def io(self) -> RunIO:
        """The sources and the table writer (built once every component exists)."""
        if self._io is None:
            self._io = self._make_io(self.runtime)
        return self._io

    async def prepare(self) -> None:
        """The lease index, and the connections service's event topics this service folds (it may start first)."""
        await self.locks.create_index([("lease_until", 1)])
        await ensure_topics(self.runtime.settings, [TopicSpec(topic, partitions=3, retries=False)
                                                    for topic in (CONNECTION_EVENTS, INTEGRATION_EVENTS)])

    async def start(self) -> None:
        self._loop = asyncio.create_task(self._take_runs())

    async def stop(self) -> None:
        tasks = [t for t in (self._loop, *self.running.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        await self.peers.close()

    async def _take_runs(self) -> None:
        while True:
            try:
                await self.take_some()
            except Exception as exc:  # the database was away: try again next round
                log.warning("run_take_failed", error=type(exc).__name__)
            await asyncio.sleep(self.poll_s)

    async def take_some(self) -> None:
        """Lease free locks (requested runs, or runs whose worker's lease lapsed) up to the concurrency bound."""
        free = self.limit - len(self.running)
        if free <= 0:
            return
        now = time.time()
        for lock in await self.locks.find({"lease_until": {"$lt": now}}).limit(free).to_list():
            if lock["_id"] in self.running:
                continue
            taken = await self.locks.update_one(
                {"_id": lock["_id"], "run_id": lock["run_id"], "lease_until": lock["lease_until"]},
                {"$set": {"owner": self.owner, "lease_until": now + self.lease_s}})
            if taken.modified_count == 1:
                task = asyncio.create_task(self._run(dict(lock)))
                self.running[lock["_id"]] = task
                task.add_done_callback(functools.partial(self._done, lock["_id"]))

    def _done(self, connection_id: str, _: asyncio.Task[None]) -> None:
        self.running.pop(connection_id, None)

    async def _run(self, lock: Doc) -> None:
        stopped = asyncio.Event()
        beat = asyncio.create_task(self._heartbeat(lock, stopped))
        try:
            await self._run_once(lock, stopped)
            await self.locks.delete_one({"_id": lock["_id"], "run_id": lock["run_id"]})
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # left to lapse: another round resumes it
            log.warning("run_interrupted", run_id=lock["run_id"], error=type(exc).__name__)
        finally:
            beat.cancel()

    async def _heartbeat(self, lock: Doc, stopped: asyncio.Event) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            found = await self.locks.find_one_and_update(
                {"_id": lock["_id"], "run_id": lock["run_id"], "owner": self.owner},
                {"$set": {"lease_until": time.time() + self.lease_s}})
            if found is None or found.get("cancel"):
                stopped.set()

    async def _run_once(self, lock: Doc, stopped: asyncio.Event) -> None:
        run_id, workspace_id = lock["run_id"], lock["workspace_id"]
        events, _ = await self.runtime.store.load(run_id)
        state = run_domain.fold(events)
        if state is None or state.finished:
            return
        request = events[0].data
        if state.attempts >= MAX_ATTEMPTS:
            error = {"message": f"The run was interrupted {state.attempts} times; it was given up.", "stream": None}
            await self._end(ev.FAIL_RUN, run_id, workspace_id, request, {"error": error})
            return
        if lock.get("cancel"):
            await self._end(ev.CANCEL_RUN, run_id, workspace_id, request, {"cancelled_by": lock.get("cancelled_by")})
            return
        await execute(self.runtime, ev.START_RUN, run_id, workspace_id, {})
        log.info("run_started", run_id=run_id, connection_id=request["connection_id"], resumed=state.attempts > 0)
        connection = await self._connection(request["connection_id"])
        execution = RunExecution(self.runtime, self.io, self.peers, request, run_id, workspace_id, connection,
                                 stopped)
        await self._finish(execution, lock)

    async def _record(self, run_id: str, request: Doc, command: str, data: Doc) -> Doc:
        """The run as the API will show it once this ending is recorded."""
        doc = dict(await self.runtime.db[rx.RUNS].find_one({"_id": run_id}) or {"_id": run_id, **request})
        ended = {"status": ENDED[command], "completed_at": utcnow().isoformat(), "error": data.get("error"),
                 "stream_results": data.get("streams", {}), **{k: data.get(k, 0) for k in COUNTS}}
        return run_record(doc, **ended)

    async def _connection(self, connection_id: str) -> Doc:
        """The connection's facts; a variant's with its group's base name (variants share tables named from it)."""
        facts = self.runtime.db[rx.CONNECTIONS]
        connection = dict(await facts.find_one({"_id": connection_id}) or {})
        group = connection.get("variant_group_id")
        if group:
            members = facts.find({"workspace_id": connection.get("workspace_id"), "variant_group_id": group})
            first = min([m async for m in members], key=lambda m: m.get("created_ts", 0.0), default=None)
            if first is not None:
                connection["base_name"] = first.get("name")
        return connection

    async def _finish(self, execution: RunExecution, lock: Doc) -> None:
        run_id, workspace_id, request = execution.run_id, execution.workspace_id, execution.request
        try:
            totals = await execution.sync()
        except RunStopped:
            cancelled_by = (await self.locks.find_one({"_id": lock["_id"]}) or {}).get("cancelled_by")
            await self._end(ev.CANCEL_RUN, run_id, workspace_id, request,
                            {**execution.tally.totals(), "cancelled_by": cancelled_by})
            return
        except (PyMongoError, OSError):
            raise  # the infrastructure: the lease lapses and the run resumes from its checkpoint
        except Exception as exc:  # the source, the connection or the tables refused: the run fails, saying why
            error = runs_errors.error_of(exc, execution)
            await self._end(ev.FAIL_RUN, run_id, workspace_id, request, {**execution.tally.totals(), "error": error})
            return
        await self._end(ev.COMPLETE_RUN, run_id, workspace_id, request, totals)

    async def _end(self, command: str, run_id: str, workspace_id: str, request: Doc, data: Doc) -> None:
        data = {**data, "record": await self._record(run_id, request, command, data)}
        await execute(self.runtime, command, run_id, workspace_id, data, command_id=f"cmd_{run_id}.end")
        log.info("run_ended", run_id=run_id, command=command, rows_synced=data.get("rows_synced", 0))
        if command != ev.CANCEL_RUN:
            await runs_notify.notify(self.runtime, self.peers, run_id, workspace_id, request, command, data)


"""Command execution: load the aggregate's events, decide, append atomically, record the outcome.

A redelivered command finds its first commit (or its recorded rejection) and changes nothing.

A create does not load: it is decided against an empty stream and appended at version 0, whose commit id
(`<stream>@0`) exists whenever the stream does; only then is it handled the usual way (find, load, decide).

`execute_batch` handles a consumer batch's commands on distinct aggregates together: one `_id $in` lookup of
recorded outcomes, creates decided without loading, other streams loaded (a command already committed is
found among its stream's events), one unordered `insert_many` of the commits, one of the outcomes. A commit
refused as a duplicate (its `stream@version` taken, or its command committed meanwhile) is handled alone the
usual way, which tells the two apart. The inserted commits go to the relay as they are (no read-back) and
the outcomes to the process's waiters (the outcome long poll), each only once it is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from junction_common.decisions import CommandRejected, Decider
from junction_common.envelope import CommandEnvelope, EventEnvelope, stamp, utcnow
from junction_common.logconfig import get_logger
from junction_common.store.event_store import (
    Commit,
    ConcurrencyError,
    Doc,
    DuplicateCommandError,
    EventStore,
    commit_document,
)
from junction_common.store.outcomes import REJECTED, SUCCEEDED, OutcomeStore, outcome_document

log = get_logger(__name__)

MAX_CONFLICT_RETRIES = 8

CreatesFn = Callable[[CommandEnvelope], bool]
Docs = Callable[[list[Doc]], None]


@dataclass(frozen=True)
class _Step:
    """What a batch does with one command: insert its commit, or record (or only announce) its outcome."""

    commit: Commit | None = None
    outcome: Doc | None = None
    recorded: bool = False  # the outcome was found recorded: announce it, write nothing


def names_a_create(cmd: CommandEnvelope) -> bool:
    """`deal.create`, `CreateContact`: a command whose type says it creates its aggregate."""
    return cmd.type.rsplit(".", 1)[-1] == "create" or cmd.type.startswith("Create")


class CommandExecutor:
    """Runs decisions against the event store with optimistic concurrency and command idempotency."""

    def __init__(
        self, store: EventStore, outcomes: OutcomeStore, on_commit: Callable[[], None],
        creates: CreatesFn = names_a_create, *, hand_over: Docs | None = None, announce: Docs | None = None,
    ) -> None:
        self._store, self._outcomes, self._on_commit = store, outcomes, on_commit
        self._creates = creates
        self._hand_over = hand_over  # the relay's `send`: a batch's inserted commits, published as they are
        self._announce = announce  # outcomes stored: the waiting long polls answer

    async def execute_batch(self, items: list[tuple[CommandEnvelope, Decider]]) -> dict[int, Exception]:
        """Handle commands on distinct aggregates as one batch; the failures by position in `items`."""
        known = await self._outcomes.get_many([cmd.command_id for cmd, _ in items])
        results = await asyncio.gather(*(self._step(cmd, decide, known.get(cmd.command_id))
                                         for cmd, decide in items), return_exceptions=True)
        failures: dict[int, Exception] = {}
        steps: dict[int, _Step] = {}
        for i, result in enumerate(results):
            if isinstance(result, _Step):
                steps[i] = result
            elif isinstance(result, Exception):
                failures[i] = result
            else:
                raise result
        alone = await self._commit_batch(steps, utcnow())
        for i in alone:
            try:
                await self.execute(*items[i])
            except Exception as exc:
                failures[i] = exc
        return failures

    async def _commit_batch(self, steps: dict[int, _Step], now: datetime) -> list[int]:
        """Insert the commits, record the outcomes; the positions refused as duplicates (to handle alone)."""
        planned = [(i, step.commit) for i, step in steps.items() if step.commit is not None]
        docs = [commit_document(commit, now) for _, commit in planned]
        refused = await self._store.append_many(docs)
        inserted = [doc for k, doc in enumerate(docs) if k not in refused]
        if inserted:
            if self._hand_over is not None:
                self._hand_over(inserted)
            else:
                self._on_commit()
        fresh = [step.outcome for step in steps.values() if step.outcome is not None and not step.recorded]
        fresh += [_succeeded_doc(commit, now) for k, (_, commit) in enumerate(planned) if k not in refused]
        await self._outcomes.record_many(fresh)
        if self._announce is not None:
            self._announce(fresh + [step.outcome for step in steps.values() if step.outcome and step.recorded])
        for doc in fresh:
            log.info("command_handled", command_id=doc["_id"], status=doc["status"], stream_id=doc["resource_id"])
        return [planned[k][0] for k in sorted(refused)]

    async def _step(self, cmd: CommandEnvelope, decide: Decider, recorded: Doc | None) -> _Step:
        if recorded is not None:
            return _Step(outcome=recorded, recorded=True)
        if self._creates(cmd):
            try:
                new = decide(cmd, [])
            except CommandRejected:
                new = []  # decided again on the stream as stored, which may reject it otherwise
            if new:
                return _Step(Commit(cmd.aggregate_id, 0, cmd.command_id, cmd.workspace_id,
                                    stamp(cmd, new, cmd.aggregate_id, 0, utcnow()), cmd.traceparent))
        events, version = await self._store.load(cmd.aggregate_id)
        return _decided(cmd, decide, events, version)

    async def execute(self, cmd: CommandEnvelope, decide: Decider) -> None:
        """Handle `cmd` exactly once in effect, however many times it is delivered."""
        if self._creates(cmd) and await self._create_unloaded(cmd, decide):
            return
        first = await self._store.find_commit(cmd.command_id)
        if first is not None:
            await self._succeeded(cmd, first)
            return
        for _ in range(MAX_CONFLICT_RETRIES):
            events, version = await self._store.load(cmd.aggregate_id)
            if events and events[0].workspace_id != cmd.workspace_id:
                await self._reject(cmd, CommandRejected("NOT_FOUND", "resource not found"))
                return
            try:
                new = decide(cmd, events)
            except CommandRejected as rejected:
                await self._reject(cmd, rejected)
                return
            if not new:
                await self._succeeded(cmd, Commit(cmd.aggregate_id, version, cmd.command_id, cmd.workspace_id, []))
                return
            commit = Commit(
                cmd.aggregate_id, version, cmd.command_id, cmd.workspace_id,
                stamp(cmd, new, cmd.aggregate_id, version, utcnow()), cmd.traceparent,
            )
            try:
                await self._store.append(commit, utcnow())
            except DuplicateCommandError as dup:
                commit = dup.commit
            except ConcurrencyError:
                continue
            self._on_commit()
            await self._succeeded(cmd, commit)
            return
        raise ConcurrencyError(cmd.aggregate_id)

    async def _create_unloaded(self, cmd: CommandEnvelope, decide: Decider) -> bool:
        """Commit a create at version 0 without reading the stream; False when it must go the usual way."""
        try:
            new = decide(cmd, [])
        except CommandRejected:
            return False  # decided again on the stream as stored, which may reject it otherwise
        if not new:
            return False
        now = utcnow()
        commit = Commit(cmd.aggregate_id, 0, cmd.command_id, cmd.workspace_id,
                        stamp(cmd, new, cmd.aggregate_id, 0, now), cmd.traceparent)
        try:
            await self._store.append(commit, now)
        except DuplicateCommandError as dup:
            commit = dup.commit
        except ConcurrencyError:
            return False  # the stream exists (this workspace's or another's)
        self._on_commit()
        await self._succeeded(cmd, commit)
        return True

    async def _succeeded(self, cmd: CommandEnvelope, commit: Commit) -> None:
        await self._record(_succeeded_doc(commit, utcnow()))
        log.info("command_succeeded", command_id=cmd.command_id, type=cmd.type, stream_id=commit.stream_id)

    async def _reject(self, cmd: CommandEnvelope, rejected: CommandRejected) -> None:
        await self._record(outcome_document(cmd.command_id, cmd.workspace_id, REJECTED, utcnow(),
                                            resource_id=cmd.aggregate_id, error=rejected.as_error()))
        log.info("command_rejected", command_id=cmd.command_id, type=cmd.type, code=rejected.code)

    async def _record(self, doc: Doc) -> None:
        """Record one outcome; announce it only if it is the first (else the waits find the first stored)."""
        first = await self._outcomes.record(doc["_id"], doc["workspace_id"], doc["status"], doc["completed_at"],
                                            resource_id=doc["resource_id"], version=doc["version"],
                                            error=doc["error"])
        if first and self._announce is not None:
            self._announce([doc])


def _succeeded_doc(commit: Commit, at: datetime) -> Doc:
    return outcome_document(commit.command_id, commit.workspace_id, SUCCEEDED, at,
                            resource_id=commit.stream_id, version=commit.version)


def _decided(cmd: CommandEnvelope, decide: Decider, events: list[EventEnvelope], version: int) -> _Step:
    """The step for `cmd` on its stream as loaded (the usual way, without the find by command id)."""
    mine = [e.version for e in events if e.command_id == cmd.command_id]
    if mine:  # committed before (a redelivery whose outcome was not recorded yet)
        return _Step(outcome=outcome_document(cmd.command_id, cmd.workspace_id, SUCCEEDED, utcnow(),
                                              resource_id=cmd.aggregate_id, version=max(mine)))
    try:
        if events and events[0].workspace_id != cmd.workspace_id:
            raise CommandRejected("NOT_FOUND", "resource not found")
        new = decide(cmd, events)
    except CommandRejected as rejected:
        return _Step(outcome=outcome_document(cmd.command_id, cmd.workspace_id, REJECTED, utcnow(),
                                              resource_id=cmd.aggregate_id, error=rejected.as_error()))
    if not new:
        return _Step(outcome=outcome_document(cmd.command_id, cmd.workspace_id, SUCCEEDED, utcnow(),
                                              resource_id=cmd.aggregate_id, version=version))
    return _Step(Commit(cmd.aggregate_id, version, cmd.command_id, cmd.workspace_id,
                        stamp(cmd, new, cmd.aggregate_id, version, utcnow()), cmd.traceparent))

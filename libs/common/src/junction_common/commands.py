"""Command execution: load the aggregate's events, decide, append atomically, record the outcome.

A redelivered command finds its first commit (or its recorded rejection) and changes nothing.

A create does not load: it is decided against an empty stream and appended at version 0, whose commit id
(`<stream>@0`) exists whenever the stream does; only then is it handled the usual way (find, load, decide).
"""

from __future__ import annotations

from collections.abc import Callable

from junction_common.decisions import CommandRejected, Decider
from junction_common.envelope import CommandEnvelope, stamp, utcnow
from junction_common.logconfig import get_logger
from junction_common.store.event_store import Commit, ConcurrencyError, DuplicateCommandError, EventStore
from junction_common.store.outcomes import REJECTED, SUCCEEDED, OutcomeStore

log = get_logger(__name__)

MAX_CONFLICT_RETRIES = 8

CreatesFn = Callable[[CommandEnvelope], bool]


def names_a_create(cmd: CommandEnvelope) -> bool:
    """`deal.create`, `CreateContact`: a command whose type says it creates its aggregate."""
    return cmd.type.rsplit(".", 1)[-1] == "create" or cmd.type.startswith("Create")


class CommandExecutor:
    """Runs decisions against the event store with optimistic concurrency and command idempotency."""

    def __init__(
        self, store: EventStore, outcomes: OutcomeStore, on_commit: Callable[[], None],
        creates: CreatesFn = names_a_create,
    ) -> None:
        self._store, self._outcomes, self._on_commit = store, outcomes, on_commit
        self._creates = creates

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
        await self._outcomes.record(
            cmd.command_id, cmd.workspace_id, SUCCEEDED, utcnow(),
            resource_id=commit.stream_id, version=commit.version,
        )
        log.info("command_succeeded", command_id=cmd.command_id, type=cmd.type, stream_id=commit.stream_id)

    async def _reject(self, cmd: CommandEnvelope, rejected: CommandRejected) -> None:
        await self._outcomes.record(
            cmd.command_id, cmd.workspace_id, REJECTED, utcnow(),
            resource_id=cmd.aggregate_id, error=rejected.as_error(),
        )
        log.info("command_rejected", command_id=cmd.command_id, type=cmd.type, code=rejected.code)

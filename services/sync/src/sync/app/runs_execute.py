"""One run, start to end: the connection's source and credentials from the connections service (kept in memory,
never logged), its catalog and saved per-stream state, RECORD batches written to tables in bulk, and each STATE
recorded as `sync.cursor_advanced` only once the records before it are written; so a run killed at any line
starts again from its last checkpoint, re-reads at most what followed it and upserts it by primary key (nothing
lost, nothing doubled). A stop is seen between two messages (within one page)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.web.peers import PeerClient
from sync.app import runs_source as src
from sync.app import runs_streams
from sync.app.runs_commands import execute
from sync.domain import cursor
from sync.runtime.refs import SourceRef, configured_catalog
from sync_contracts import events as ev

log = get_logger(__name__)
Doc = dict[str, Any]
COUNTS = ("rows_synced", "rows_created", "rows_updated")


class Source(Protocol):
    """What a run needs of the connector runtime (sync.runtime.ConnectorRuntime)."""

    async def discover(self, ref: SourceRef, config: Doc) -> Doc: ...

    async def catalog(self, ref: SourceRef, config: Doc) -> Doc: ...

    def read(self, ref: SourceRef, config: Doc, catalog: Doc, state: list[Doc] | None) -> AsyncIterator[Doc]: ...


class Written(Protocol):
    created: int
    updated: int


class Writer(Protocol):
    """What a run needs of the table writer (sync.tables.writer.TableWriter)."""

    async def write_batch(self, workspace_id: str, table: Any, records: list[Doc], *, run_id: str, stream: str,
                          primary_key: list[str] | None) -> Any: ...


@dataclass(frozen=True)
class RunIO:
    source: Source
    writer: Writer
    build_manifest: Callable[[Doc, Any], Doc]  # sync.runtime's declarative_manifest(provider, streams)
    target: Callable[[Doc, str], Any]  # sync.tables' table_target(connection, stream)


class RunStopped(Exception):
    """The run was stopped (stopPipelineRun)."""


class RunBroken(Exception):
    """The run cannot go on: the message says why (no secret in it)."""

    def __init__(self, message: str, stream: str | None = None, page: str | None = None) -> None:
        super().__init__(message)
        self.message, self.stream, self.page = message, stream, page


@dataclass
class Tally:
    """Rows per stream: recorded at checkpoints (`saved`) and written since (`unsaved`)."""

    saved: dict[str, dict[str, int]] = field(default_factory=dict)
    unsaved: dict[str, dict[str, int]] = field(default_factory=dict)
    paused: set[str] = field(default_factory=set)  # streams whose table holds a schema change for approval

    def add(self, part: dict[str, dict[str, int]], stream: str, created: int, updated: int) -> None:
        row = part.setdefault(stream, dict.fromkeys(COUNTS, 0))
        row["rows_created"] += created
        row["rows_updated"] += updated
        row["rows_synced"] += created + updated

    def take(self, stream: str) -> dict[str, int]:
        """The rows written since the stream's last checkpoint, now counted as saved with it."""
        row = self.unsaved.pop(stream, dict.fromkeys(COUNTS, 0))
        self.add(self.saved, stream, row["rows_created"], row["rows_updated"])
        return row

    def streams(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for part in (self.saved, self.unsaved):
            for name, row in part.items():
                self.add(out, name, row["rows_created"], row["rows_updated"])
        return out

    def result(self, stream: str) -> dict[str, Any]:
        return {**self.streams().get(stream, dict.fromkeys(COUNTS, 0)), "paused": stream in self.paused}

    def totals(self) -> dict[str, Any]:
        streams = self.streams()
        return {**{k: sum(r[k] for r in streams.values()) for k in COUNTS},
                "streams": {name: self.result(name) for name in streams}}


class RunExecution:
    """Runs one requested run of one connection (its worker holds the connection's lock meanwhile)."""

    def __init__(self, runtime: ServiceRuntime, io: RunIO, peers: PeerClient, request: Doc, run_id: str,
                 workspace_id: str, connection: Doc, stopped: asyncio.Event) -> None:
        self.runtime, self.io, self.peers, self.request = runtime, io, peers, request
        self.run_id, self.workspace_id, self.connection = run_id, workspace_id, connection
        self.connection_id = request["connection_id"]
        self.stopped = stopped
        self.tally = Tally()
        self.batch = int(getattr(runtime.settings, "run_batch_rows", 2000))
        self.buffers: dict[str, list[Doc]] = {}
        self.pending = 0
        self.last_stream: str | None = None  # the provider stream of the last record read
        self.read: dict[str, int] = {}  # records read per provider stream in this attempt (a failure's position)
        self.names: dict[str, str] = {}  # provider stream -> the name the run asked for it by
        self._writing: asyncio.Task[None] | None = None

    async def sync(self) -> dict[str, Any]:
        """Read every requested stream into its table; the run's totals."""
        settle = getattr(self.io.writer, "settle", None)  # what an earlier attempt left between records and events
        if settle is not None:
            await settle(self.workspace_id, self.run_id)
        answer = await self._source()
        ref = src.source_ref(answer, self.io.build_manifest)
        config = answer["config"]
        discovered = await self.io.source.catalog(ref, config)  # declared by the manifest, or discovered lately
        provider = answer.get("provider") or {}
        try:  # a stream asked for by an alias is read as the provider's stream, its table named as asked
            self.names = runs_streams.resolve(provider, self.request.get("streams") or [], strict=False)
            full_refresh = list(runs_streams.resolve(provider, self.request.get("full_refresh") or [], strict=False))
            streams = src.wanted(src.streams_of(discovered, list(self.names)), full_refresh)
            catalog = configured_catalog(discovered, streams)
        except ValueError as exc:
            raise RunBroken(str(exc)) from None
        cursors = await self._cursors()
        # A stream's cursor is its table's, kept under the name asked for; the source's formats are by its own name.
        cursors = {name: cursors[self.asked(name)] for name in self.names_in(catalog) if self.asked(name) in cursors}
        state = src.saved_state(catalog, cursors, src.date_formats(provider))
        self.configured = {c["stream"]["name"]: c for c in catalog["streams"]}
        await self._read(self.io.source.read(ref, config, catalog, state or None))
        for name in map(self.asked, self.configured):
            await execute(self.runtime, ev.COMPLETE_STREAM, self.run_id, self.workspace_id,
                          {"stream": name, **self.tally.result(name)})
        return self.tally.totals()

    @staticmethod
    def names_in(catalog: Doc) -> list[str]:
        return [c["stream"]["name"] for c in catalog["streams"]]

    def asked(self, stream: str) -> str:
        """The name the run was asked for the provider's `stream` by (its table's and results' name)."""
        return self.names.get(stream, stream)

    async def _source(self) -> Doc:
        path = f"/runtime/connections/{self.connection_id}/source"
        answer = await self.peers.call("GET", "connections", path, self.workspace_id)
        if not answer.ok or not isinstance(answer.body, dict):
            body = answer.body if isinstance(answer.body, dict) else {}
            message = body.get("message") or (body.get("error") or {}).get("message") or f"HTTP {answer.status}"
            raise RunBroken(f"The connection's source is not available: {message}")
        return answer.body

    async def _cursors(self) -> dict[str, Doc]:
        """The connection's cursors as its event log has them (and this run's counts of an earlier attempt)."""
        events, _ = await self.runtime.store.load(cursor.stream_id(self.connection_id))
        for event in events:
            if event.type == "sync.cursor_advanced" and event.data.get("run_id") == self.run_id:
                data = event.data
                self.tally.add(self.tally.saved, data["stream"], data["rows_created"], data["rows_updated"])
        return cursor.fold(events)

    async def _read(self, messages: AsyncIterator[Doc]) -> None:
        try:
            async for message in messages:
                if self.stopped.is_set():
                    raise RunStopped()
                kind = message.get("type")
                if kind == "RECORD":
                    await self._record(message["record"])
                elif kind == "STATE":
                    await self._checkpoint(message)
            await self._flush()
        finally:
            with contextlib.suppress(Exception):  # the failure that got here is the one that counts
                await self._drain()
            await _close(messages)

    async def _record(self, record: Doc) -> None:
        stream = record["stream"]
        self.last_stream = stream
        self.read[stream] = self.read.get(stream, 0) + 1
        self.buffers.setdefault(stream, []).append(record.get("data") or {})
        self.pending += 1
        if self.pending >= self.batch:
            await self._flush(wait=False)

    async def _flush(self, wait: bool = True, then: Callable[[], Awaitable[None]] | None = None) -> None:
        """Every buffered record on its way to its stream's table (one bulk write per stream, one batch at a time):
        written when this returns if `wait`, else while the source goes on reading the next batch; `then` runs
        once they are written (a checkpoint), in the same background write."""
        batches, self.buffers, self.pending = self.buffers, {}, 0
        await self._drain()
        self._writing = asyncio.create_task(self._write(batches, then))
        if wait:
            await self._drain()

    async def _drain(self) -> None:
        """The batch being written, written."""
        writing, self._writing = self._writing, None
        if writing is not None:
            await writing

    async def _write(self, batches: dict[str, list[Doc]], then: Callable[[], Awaitable[None]] | None = None) -> None:
        for stream, records in batches.items():
            if not records:
                continue
            configured = self.configured.get(stream) or {"stream": {"name": stream}}
            asked = self.asked(stream)
            target = self.io.target({**self.connection, "id": self.connection_id}, asked)
            result = await self.io.writer.write_batch(self.workspace_id, target, records, run_id=self.run_id,
                                                      stream=asked, primary_key=src.primary_key(configured))
            self.tally.add(self.tally.unsaved, asked, int(result.created), int(result.updated))
            if getattr(result, "paused", False):
                self.tally.paused.add(asked)
        if then is not None:
            await then()

    async def _checkpoint(self, message: Doc) -> None:
        """The records before this STATE written, then the state recorded as the stream's cursor: both in the
        background write, so the source reads on meanwhile (a cursor is never recorded before its records)."""
        found = src.state_of(message)
        if found is None:
            return
        stream, state = found
        configured = self.configured.get(stream)
        value = src.cursor_value(state, src.cursor_field(configured) if configured else None)

        async def advance() -> None:
            data = {"run_id": self.run_id, "stream": self.asked(stream), "state": state, "cursor": value,
                    **self.tally.take(self.asked(stream))}
            await execute(self.runtime, ev.ADVANCE_CURSOR, cursor.stream_id(self.connection_id), self.workspace_id,
                          data)

        await self._flush(wait=False, then=advance)


async def _close(messages: AsyncIterator[Doc]) -> None:
    close = getattr(messages, "aclose", None)
    if close is not None:
        await close()

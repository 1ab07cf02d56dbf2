"""`make bench`: rows/s of a sync end to end (source -> table) beside the same source read to /dev/null, in one run.

The paged API simulator runs in a process of its own with BENCH_SYNC_ROWS rows (default 10,000; pages of
BENCH_SYNC_PAGE, default 1,000). First it is read through the connector runtime to /dev/null
(tests/bench/sync_read_bench.read_rate); then the same simulator is an operator provider of the connections
service, a workspace connects it through the gateway and triggers a run: the sync service's run worker takes the
catalog its manifest declares, reads it with airbyte-cdk and writes every batch to its table in bulk
(sync.tables.TableWriter), checkpointing each STATE. The end-to-end figure is rows / (the run's completedAt -
startedAt); the goal is >= 0.8 of the read rate (writing tables is never the bottleneck). Services and gateway run
in this process on isolated names, removed afterwards. Figures depend on the machine: it prints cores and the load
average, and beside each rate the CPU each process spent per 1,000 rows over that span (this process: gateway,
connections and sync; the source processes, as reaped children; the simulator; nx-27017 and Kafka when this user
can see them), which moves less than rows/s on a shared machine.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import os
import resource
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from pymongo import monitoring

from conftest import isolated_stack, start_connections, start_gateway, start_sync
from junction_common.service import ServiceRuntime
from sync.app.runs_execute import RunExecution
from sync.runtime import ConnectorRuntime
from sync.runtime.environments import CDK_PACKAGE
from sync.settings import SyncSettings
from sync.tables.writer import TableWriter, table_target
from tests.bench.processes import paged_api_process
from tests.bench.procstat import cpu_seconds, pid_listening, port_of
from tests.bench.sync_read_bench import PAGE, ROWS, full_refresh_source, read_rate
from tests.simulators.paged_api import PagedApi
from tests.test_sync_runs import admin_key, write_provider

COUNTING: contextvars.ContextVar[collections.Counter[str] | None] = contextvars.ContextVar("counting", default=None)


class WriterCommands(monitoring.CommandListener):
    """Counts the MongoDB commands of the writer-alone batches (the task that sets `COUNTING`), by name."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        counts = COUNTING.get()
        if counts is not None:
            counts[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


class CpuMeter:
    """CPU seconds so far of each process a sync runs on."""

    def __init__(self, api: PagedApi, mongodb_url: str) -> None:
        self.pids = {name: pid for name, port in (("simulator", port_of(api.url)), ("nx-27017", port_of(mongodb_url)),
                                                  ("kafka", 9092)) if (pid := pid_listening(port)) is not None}

    def now(self) -> dict[str, float]:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return {"services (this process)": own.ru_utime + own.ru_stime,
                "source processes": children.ru_utime + children.ru_stime,
                **{name: cpu_seconds(pid) for name, pid in self.pids.items()}}

    @staticmethod
    def per_1000_rows(before: dict[str, float], after: dict[str, float], rows: int) -> str:
        return ", ".join(f"{name} {(after[name] - before[name]) * 1e6 / rows:.0f}" for name in before)


class Timeline:
    """When the run did what (patched onto RunExecution in this process): the span of `sync`, the source's first
    record and its end of file, each batch's write, how long the reader waited for a write to end, and the source
    process's CPU from its first record to its end of file."""

    def __init__(self, others: set[int]) -> None:
        self.others = others  # children that are not the source (the simulator)
        self.marks: dict[str, float] = {}
        self.writes: list[tuple[float, float]] = []
        self.reader_waited = 0.0
        self.source_cpu: list[float] = []

    def install(self) -> None:
        timeline, execution = self, RunExecution
        sync, read, write, drain = execution.sync, execution._read, execution._write, execution._drain

        async def timed_sync(self: RunExecution) -> Any:
            timeline.marks["run"] = time.monotonic()
            try:
                return await sync(self)
            finally:
                timeline.marks["run_end"] = time.monotonic()

        async def timed_read(self: RunExecution, messages: Any) -> None:
            timeline.marks["read"] = time.monotonic()
            await read(self, timeline.watch(messages))

        async def timed_write(self: RunExecution, *args: Any, **kwargs: Any) -> None:
            started = time.monotonic()
            await write(self, *args, **kwargs)
            timeline.writes.append((started, time.monotonic()))

        async def timed_drain(self: RunExecution, *args: Any, **kwargs: Any) -> None:
            started = time.monotonic()
            await drain(self, *args, **kwargs)
            if "eof" not in timeline.marks:
                timeline.reader_waited += time.monotonic() - started

        patched = {"sync": timed_sync, "_read": timed_read, "_write": timed_write, "_drain": timed_drain}
        for name, method in patched.items():
            setattr(execution, name, method)

    async def watch(self, messages: Any) -> Any:
        async for message in messages:
            if message.get("type") == "RECORD" and "first" not in self.marks:
                self.marks["first"] = time.monotonic()
                self.source_cpu.append(_children_cpu(self.others))
            yield message
        self.marks["eof"] = time.monotonic()
        self.source_cpu.append(_children_cpu(self.others))

    def summary(self, rows: int) -> str:
        m = self.marks
        if not {"run", "first", "eof", "run_end"} <= set(m):
            return "  (no timeline)"
        writing = sum(end - start for start, end in self.writes)
        streaming = m["eof"] - m["first"]
        cpu = self.source_cpu[1] - self.source_cpu[0] if len(self.source_cpu) == 2 else float("nan")
        return (f"  timeline (s from the run's start): read from {m['read'] - m['run']:.2f}, first record "
                f"{m['first'] - m['run']:.2f}, source's end of "
                f"file {m['eof'] - m['run']:.2f}, last write done {m['run_end'] - m['run']:.2f}; "
                f"{len(self.writes)} writes took {writing:.2f} s in all; the reader waited {self.reader_waited:.2f} s "
                f"for writes; source CPU first record -> end of file {cpu:.2f} s of {streaming:.2f} s "
                f"({cpu * 1e6 / rows:.0f} ms per 1,000 rows); first record to last write: "
                f"{rows / (m['run_end'] - m['first']):.0f} rows/s")


def _children_cpu(others: set[int]) -> float:
    """CPU seconds of this process's children but `others` (the source process): those reaped, and those alive."""
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = reaped.ru_utime + reaped.ru_stime
    for task in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError), open(f"/proc/self/task/{task}/children") as f:
            total += sum(cpu_seconds(int(pid)) for pid in f.read().split() if int(pid) not in others)
    return total


async def read_to_dev_null(runtime: ConnectorRuntime, api: PagedApi, meter: CpuMeter) -> tuple[float, str]:
    before = meter.now()
    rate = await read_rate(runtime, full_refresh_source(api))
    print(f"  (source read to /dev/null: first record after {rate.seconds - rate.streaming_seconds:.2f} s, the rest "
          f"in {rate.streaming_seconds:.2f} s: {rate.streaming_rows_per_s:.0f} rows/s)")
    return rate.rows_per_s, CpuMeter.per_1000_rows(before, meter.now(), rate.rows)


async def sync_end_to_end(api: PagedApi, folder: Path, meter: CpuMeter) -> tuple[float, dict[str, Any]]:
    """One full sync of the simulator into a table through the real services; rows/s over the run's own span."""
    write_provider(folder, api, page_size=PAGE)
    async with isolated_stack() as stack:
        connections = await start_connections(stack, provider_dirs=str(folder), provider_allow_networks="127.0.0.0/8",
                                              log_level="WARNING")
        sync = await start_sync(stack, scheduler_enabled=False, log_level="WARNING")
        try:
            async with start_gateway(stack.gateway) as gateway, aiohttp.ClientSession() as http:
                key, _ = await admin_key(stack)
                headers = {"Authorization": f"Bearer {key}"}
                body = {"name": "Bench", "type": "PAGED_SIM", "credentials": {"apiKey": api.api_key}}
                async with http.post(f"{gateway.url}/api/pipelines/connections", json=body, headers=headers) as r:
                    cid = (await r.json())["connection"]["id"]
                before = meter.now()
                async with http.post(f"{gateway.url}/api/pipelines/connections/{cid}/runs", json={},
                                     headers=headers) as r:
                    run_id = (await r.json())["run"]["id"]
                run = await _finished(http, f"{gateway.url}/api/pipelines/connections/{cid}/runs", headers, run_id)
                run["cpu"] = CpuMeter.per_1000_rows(before, meter.now(), run["rowsSynced"])
                before = meter.now()
                run["writer_rows_per_s"] = await writer_alone(sync, run["rowsSynced"])
                run["writer_cpu"] = CpuMeter.per_1000_rows(before, meter.now(), run["rowsSynced"])
        finally:
            await sync.stop()
            await connections.stop()
    span = (datetime.fromisoformat(run["completedAt"]) - datetime.fromisoformat(run["startedAt"])).total_seconds()
    return run["rowsSynced"] / span, run


async def writer_alone(sync: ServiceRuntime, rows: int) -> float:
    """The table writer by itself: the same number of rows, in the run's batch size, into a table of their own."""
    writer = sync.component(TableWriter)
    batch = int(getattr(sync.settings, "run_batch_rows", 2000))
    records = [{"id": i, "name": f"Row {i}", "score": i, "updated_at": "2026-01-01T00:00:00Z"} for i in range(rows)]
    target = table_target({"id": "conn_bench", "name": "Writer alone"}, "items")
    counts: collections.Counter[str] = collections.Counter()
    token = COUNTING.set(counts)
    started = time.monotonic()
    try:
        for first in range(0, rows, batch):
            await writer.write_batch("wrk_bench_writer", target, records[first:first + batch], run_id="run_bench",
                                     stream="items", primary_key=["id"])
    finally:
        COUNTING.reset(token)
    rate = rows / (time.monotonic() - started)
    batches = -(-rows // batch)
    print(f"  table writer alone: {sum(counts.values()) / batches:.1f} MongoDB commands per batch of {batch} "
          f"({', '.join(f'{n} {c}' for c, n in sorted(counts.items()))} in {batches} batches)")
    return rate


async def _finished(http: aiohttp.ClientSession, url: str, headers: dict[str, str], run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        async with http.get(url, headers=headers) as resp:
            run: dict[str, Any] = next(r for r in (await resp.json())["runs"] if r["id"] == run_id)
        if run["status"] in ("COMPLETED", "FAILED", "CANCELLED"):
            if run["status"] != "COMPLETED":
                raise RuntimeError(f"the run ended {run['status']}: {run.get('error')}")
            return run
        await asyncio.sleep(0.5)
    raise RuntimeError("the run did not finish in 900 s")


async def main() -> None:
    monitoring.register(WriterCommands())  # before any client is made
    runtime = ConnectorRuntime(SyncSettings(log_level="WARNING"))
    await runtime.environments.ensure(CDK_PACKAGE, runtime.cdk_version)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; airbyte-cdk "
          f"{runtime.cdk_version}; {ROWS} rows, pages of {PAGE}")
    async with paged_api_process(ROWS) as api:
        meter = CpuMeter(api, SyncSettings().mongodb_url)
        read, read_cpu = await read_to_dev_null(runtime, api, meter)
        timeline = Timeline({pid for name, pid in meter.pids.items() if name == "simulator"})
        timeline.install()
        with tempfile.TemporaryDirectory() as tmp:
            end_to_end, run = await sync_end_to_end(api, Path(tmp) / "providers", meter)
    print(f"  source read to /dev/null:        {read:8.0f} rows/s (whole read, process start included)")
    print(f"    CPU ms per 1,000 rows: {read_cpu}")
    print(f"  sync end to end (source -> table): {end_to_end:8.0f} rows/s ({run['rowsSynced']} rows; the run's "
          f"span: catalog, read and writes)")
    print(f"    CPU ms per 1,000 rows: {run['cpu']}")
    print(timeline.summary(run["rowsSynced"]))
    print(f"  table writer alone:               {run['writer_rows_per_s']:8.0f} rows/s (same rows, same batches)")
    print(f"    CPU ms per 1,000 rows: {run['writer_cpu']}")
    print(f"  ratio: {end_to_end / read:.2f} of the source's own rate (goal >= 0.8); load average now "
          f"{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    asyncio.run(main())

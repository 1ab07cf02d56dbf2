"""`make bench`: how fast a source is read. Rows/s of the paged API simulator (tests/simulators/paged_api.py, in a
process of its own) read through the connector runtime (airbyte-cdk's declarative engine as a subprocess, a
manifest built from the simulator's provider YAML) to /dev/null: every message parsed, nothing kept.

Two figures: the whole read (process start included, ~2-3 s of airbyte-cdk imports) and the rate from the first
record to the last (the steady rate a long sync sees). `read_rate` is importable, so the end-to-end source ->
table figure can be measured beside it on the same source in one run. Figures depend on the machine: it prints
cores. BENCH_SYNC_ROWS (default 10,000) and BENCH_SYNC_PAGE (default 1,000) set the size.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from typing import Any

from sync.runtime import ConnectorRuntime, SourceRef, configured_catalog, source_ref
from sync.runtime.environments import CDK_PACKAGE
from sync.settings import SyncSettings
from tests.bench.processes import paged_api_process
from tests.simulators.paged_api import PagedApi, provider

ROWS = int(os.environ.get("BENCH_SYNC_ROWS", "10000"))
PAGE = int(os.environ.get("BENCH_SYNC_PAGE", "1000"))


@dataclass(frozen=True)
class SimulatedSource:
    """The simulator running in its own process, and what a run needs to read it."""

    ref: SourceRef
    config: dict[str, Any]
    catalog: dict[str, Any]
    rows: int


@dataclass(frozen=True)
class ReadRate:
    rows: int
    seconds: float  # the whole read, process start included
    streaming_seconds: float  # first record to the end

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds

    @property
    def streaming_rows_per_s(self) -> float:
        return self.rows / self.streaming_seconds if self.streaming_seconds else float("inf")


def full_refresh_source(api: PagedApi, rows: int = ROWS, page_size: int = PAGE, style: str = "page"
                        ) -> SimulatedSource:
    """What a run needs to read the simulator's `rows` items in full (pages of `page_size`, in `style`)."""
    ref = source_ref(provider(api, style, page_size=page_size, incremental=False))
    discovered = {"streams": [{"name": "items", "json_schema": {}, "supported_sync_modes": ["full_refresh"],
                               "source_defined_primary_key": [["id"]]}]}
    catalog = configured_catalog(discovered, [{"name": "items", "sync_mode": "full_refresh"}])
    return SimulatedSource(ref, {"apiKey": api.api_key}, catalog, rows)


async def read_rate(runtime: ConnectorRuntime, source: SimulatedSource) -> ReadRate:
    """Read the whole source through the runtime, discarding every message."""
    started = time.monotonic()
    first: float | None = None
    count = 0
    async for message in runtime.read(source.ref, source.config, source.catalog, None):
        if message["type"] == "RECORD":  # parsed into a dict, then dropped: the /dev/null destination
            first = first or time.monotonic()
            count += 1
    ended = time.monotonic()
    if count != source.rows:
        raise RuntimeError(f"read {count} rows of {source.rows}")
    return ReadRate(count, ended - started, ended - (first or ended))


async def main() -> None:
    runtime = ConnectorRuntime(SyncSettings(log_level="WARNING"))
    await runtime.environments.ensure(CDK_PACKAGE, runtime.cdk_version)
    print(f"machine: {os.cpu_count()} cores; airbyte-cdk {runtime.cdk_version}; {ROWS} rows, pages of {PAGE}")
    async with paged_api_process(ROWS) as api:
        rate = await read_rate(runtime, full_refresh_source(api))
    print(f"  source read to /dev/null (declarative, page style): {rate.rows_per_s:8.0f} rows/s whole read "
          f"({rate.seconds:.1f} s), {rate.streaming_rows_per_s:8.0f} rows/s first record to last")


if __name__ == "__main__":
    asyncio.run(main())

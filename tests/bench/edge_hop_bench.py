"""`make bench`: what the thin edge's extra hop costs. p50/p99 of `GET /v1/contacts` and `POST /v1/contacts`.

Before the thin edge, the gateway read the crm's read models itself; now it forwards reads to the crm's internal
API. This runs the same load against both in one run, on the same machine: the code as it was before
(`BENCH_BEFORE`, a git revision, checked out into a temporary worktree and put first on the processes'
PYTHONPATH) and the working tree. Without git or with BENCH_BEFORE empty it measures the working tree only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from junction_common.settings import JunctionSettings
from junction_common.testing.infra import free_port, isolated
from junction_common.workspaces import create_workspace
from tests.bench.processes import bench_processes, service_env, until

BEFORE = os.environ.get("BENCH_BEFORE", "336a7cb")  # the last commit before the thin edge
REQUESTS = int(os.environ.get("BENCH_HOP_REQUESTS", "1000"))
CONCURRENCY = int(os.environ.get("BENCH_HOP_CONCURRENCY", "16"))
ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("libs/common/src", "services/gateway/src", "services/crm/src", "services/crm/contracts/src")


def _remove_worktree(where: Path) -> None:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(where)], capture_output=True)


def _worktree(revision: str, where: Path) -> Path | None:
    try:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), revision], check=True,
                       capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return where


@contextlib.asynccontextmanager
async def _system(source: Path | None) -> AsyncIterator[tuple[str, str]]:
    """The crm and the gateway as processes (of `source`'s code when given); yields (url, key)."""
    settings = isolated(JunctionSettings)
    port, crm_port = free_port(), free_port()
    env = service_env(settings, port, {"crm": crm_port})
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(str(source / s) for s in SOURCES)
    async with bench_processes(settings) as procs:
        await procs.spawn(["-m", "crm.main"], {**env, "JUNCTION_INTERNAL_PORT": str(crm_port)})
        await procs.spawn(["-m", "gateway.main"], env)
        _, key = await create_workspace(settings, "Bench", "business")
        yield f"http://127.0.0.1:{port}", key


async def _load(http: aiohttp.ClientSession, method: str, url: str, key: str) -> list[float]:
    latencies: list[float] = []
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        body = {"name": f"Hop {i}"} if method == "POST" else None
        async with sem:
            started = time.perf_counter()
            async with http.request(method, url, json=body, headers={"Authorization": f"Bearer {key}"}) as resp:
                await resp.read()
                if resp.status not in (200, 201):
                    raise RuntimeError(f"{method} {url}: {resp.status}")
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(one(i) for i in range(REQUESTS)))
    return latencies


def _line(label: str, latencies: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(latencies, n=100)
    print(f"  {label:<24} p50 {q[49] * 1000:7.1f} ms   p99 {q[98] * 1000:7.1f} ms")
    return q[49], q[98]


async def _measure(label: str, source: Path | None) -> dict[str, tuple[float, float]]:
    print(f"{label}:")
    async with _system(source) as (url, key), aiohttp.ClientSession() as http:
        await until(http, "the gateway", "GET", f"{url}/readyz", attempts=300)
        await _load(http, "POST", f"{url}/v1/contacts", key)  # warm-up, and 25+ contacts to list
        return {"POST /v1/contacts": _line("POST /v1/contacts", await _load(http, "POST", f"{url}/v1/contacts", key)),
                "GET /v1/contacts": _line("GET /v1/contacts", await _load(http, "GET", f"{url}/v1/contacts", key))}


async def main() -> None:
    print(f"machine: {os.cpu_count()} cores; {REQUESTS} requests per case, concurrency {CONCURRENCY}")
    with tempfile.TemporaryDirectory() as tmp:
        before = _worktree(BEFORE, Path(tmp) / "before") if BEFORE else None
        try:
            old = await _measure(f"before the thin edge ({BEFORE})", before) if before else None
            new = await _measure("the working tree (reads forwarded to the crm)", None)
        finally:
            if before is not None:
                _remove_worktree(before)
    if old:
        for case, (p50, p99) in new.items():
            print(f"{case}: after/before p50 {p50 / old[case][0]:.2f}  p99 {p99 / old[case][1]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())

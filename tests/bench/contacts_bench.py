"""`make bench`: contacts created per second through the whole write path, with latency percentiles.

Runs the crm service and the gateway as real processes (tests.bench.processes) on the real infrastructure, on
isolated topics and databases, then removes its databases and topics. Figures depend on the machine: it prints
cores.
It measures twice: on a new database, then with BENCH_STORED (50,000) more event commits stored in the crm
service's event store (written in bulk in the store's own format, one contact stream each), and prints the
second figure as a ratio of the first: the write path's cost must not grow with the data.

Each measured run also prints MongoDB commands per POST (the gateway and crm run under
`tests.bench.counted`, which counts every command with pymongo command monitoring) and CPU ms per POST
of the gateway, the crm, the MongoDB server and Kafka (from /proc/<pid>/stat; the servers are found by
the port they listen on).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass

import aiohttp

from junction_common.mongo import create_client
from junction_common.settings import JunctionSettings
from junction_common.testing.infra import free_port, isolated
from junction_common.workspaces import create_workspace
from tests.bench.processes import bench_processes, service_env, until
from tests.bench.procstat import cpu_model, cpu_seconds, pid_listening, port_of
from tests.storage.seeding import commit_docs, insert_in_batches

TOTAL = int(os.environ.get("BENCH_TOTAL", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))
STORED = int(os.environ.get("BENCH_STORED", "50000"))


@dataclass
class Watched:
    """The processes whose MongoDB commands and CPU time a run accounts for."""

    count_files: dict[str, str]  # process -> its command-count file
    pids: dict[str, int]  # process -> pid

    def counts(self) -> dict[str, Counter[str]]:
        out: dict[str, Counter[str]] = {}
        for name, path in self.count_files.items():
            try:
                with open(path) as f:
                    out[name] = Counter(json.load(f))
            except (OSError, ValueError):
                out[name] = Counter()
        return out

    def cpu(self) -> dict[str, float]:
        return {name: cpu_seconds(pid) for name, pid in self.pids.items()}


def _report(watched: Watched, before: tuple[dict[str, Counter[str]], dict[str, float]], posts: int) -> None:
    time.sleep(0.6)  # the count files are rewritten twice a second
    counts, cpu = watched.counts(), watched.cpu()
    total = 0
    for name, now in counts.items():
        diff = now - before[0][name]
        total += sum(diff.values())
        top = ", ".join(f"{k} {v / posts:.2f}" for k, v in diff.most_common(6))
        print(f"  mongodb commands per POST, {name}: {sum(diff.values()) / posts:.2f} ({top})")
    print(f"  mongodb commands per POST, total: {total / posts:.2f}")
    parts = [f"{name} {(cpu[name] - before[1][name]) * 1000 / posts:.1f}" for name in cpu]
    print(f"  CPU ms per POST: {', '.join(parts)}")


async def _workspace_key(settings: JunctionSettings) -> str:
    _, key = await create_workspace(settings, "Bench", "business")
    return key


async def _load(http: aiohttp.ClientSession, url: str, key: str) -> tuple[list[float], int]:
    latencies: list[float] = []
    accepted = 0
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        nonlocal accepted
        async with sem:
            started = time.perf_counter()
            async with http.post(f"{url}/v1/contacts", json={"name": f"Bench {i}"},
                                 headers={"Authorization": f"Bearer {key}"}) as resp:
                await resp.read()
                accepted += resp.status == 202
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(one(i) for i in range(TOTAL)))
    return latencies, accepted


async def _store_commits(settings: JunctionSettings, count: int) -> float:
    """Write `count` published contact commits into the crm event store; returns the seconds it took."""
    client = create_client(settings)
    started = time.perf_counter()
    docs = commit_docs(count, commits_per_stream=1, prefix="con_stored", workspace="wrk_stored",
                       event_type="contact.created")
    await insert_in_batches(client[settings.db_name("crm")], "event_commits", docs)
    await client.close()
    return time.perf_counter() - started


async def _measure(http: aiohttp.ClientSession, url: str, key: str, label: str, watched: Watched) -> float:
    await asyncio.sleep(0.6)
    before = (watched.counts(), watched.cpu())
    started = time.perf_counter()
    latencies, accepted = await _load(http, url, key)
    seconds = time.perf_counter() - started
    rate = TOTAL / seconds
    q = statistics.quantiles(latencies, n=100)
    print(f"{label}: {rate:.0f} creates/s accepted, {(TOTAL - accepted) / seconds:.0f}/s readable (201), "
          f"202s: {accepted}; latency ms p50 {q[49] * 1000:.1f}  p95 {q[94] * 1000:.1f}  p99 {q[98] * 1000:.1f}")
    _report(watched, before, TOTAL)
    return rate


def _counted(module: str) -> list[str]:
    """`module` run under pymongo command counting (tests.bench.counted)."""
    return ["-m", "tests.bench.counted", module]


async def main() -> None:
    settings = isolated(JunctionSettings)
    port = free_port()
    crm_port = free_port()  # the crm's internal API: the gateway long-polls command outcomes there
    env = service_env(settings, port, {"crm": crm_port})
    counts = tempfile.mkdtemp(prefix="bench-counts-")
    files = {"gateway": f"{counts}/gateway.json", "crm": f"{counts}/crm.json"}
    async with bench_processes(settings) as procs:
        crm = await procs.spawn(_counted("crm.main"), {**env, "JUNCTION_INTERNAL_PORT": str(crm_port),
                                                       "BENCH_COUNT_FILE": files["crm"]})
        gateway = await procs.spawn(_counted("gateway.main"), {**env, "BENCH_COUNT_FILE": files["gateway"]})
        url = f"http://127.0.0.1:{port}"
        servers = {"nx-27017/mongodb": port_of(settings.mongodb_url, 27017),
                   "kafka": port_of(settings.kafka_bootstrap, 9092)}
        pids = {"gateway": gateway.pid, "crm": crm.pid,
                **{name: pid for name, port_ in servers.items() if (pid := pid_listening(port_)) is not None}}
        watched = Watched(files, pids)
        key = await _workspace_key(settings)
        print(f"machine: {os.cpu_count()} cores ({cpu_model()}); {TOTAL} creates per run, concurrency {CONCURRENCY}")
        async with aiohttp.ClientSession() as http:
            await until(http, "the gateway", "GET", f"{url}/readyz", attempts=900)  # a loaded machine starts slowly
            await _load(http, url, key) if TOTAL > 200 else None  # warm-up pass, not measured
            empty = await _measure(http, url, key, "new database", watched)
            if STORED:
                seconds = await _store_commits(settings, STORED)
                print(f"stored {STORED} event commits in {seconds:.1f} s")
                stored = await _measure(http, url, key, f"{STORED} commits stored", watched)
                print(f"ratio with {STORED} commits stored / new database: {stored / empty:.2f}")


if __name__ == "__main__":
    asyncio.run(main())

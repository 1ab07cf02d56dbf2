"""`make bench`: contacts created per second through the whole write path, with latency percentiles.

Runs the crm service and the gateway as real processes on the real infrastructure, on isolated
topics and databases, then removes its databases. Figures depend on the machine: it prints cores.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time

import aiohttp

from junction_common.identity import IdentityStore
from junction_common.mongo import create_client
from junction_common.settings import JunctionSettings
from junction_common.testing.infra import drop_databases, env_of, free_port, isolated

TOTAL = int(os.environ.get("BENCH_TOTAL", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))


async def _spawn(module: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-m", module, env=env,
                                                stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.DEVNULL)


async def _workspace_key(settings: JunctionSettings) -> str:
    client = create_client(settings)
    store = IdentityStore(client[settings.db_name("identity")], settings.signing_secret)
    await store.ensure_indexes()
    _, key = await store.create_workspace("Bench", "business")
    await client.close()
    return key


async def _wait_ready(http: aiohttp.ClientSession, url: str) -> None:
    for _ in range(200):
        try:
            async with http.get(f"{url}/readyz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("gateway did not start")


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


async def main() -> None:
    settings = isolated(JunctionSettings)
    port = free_port()
    env = {**os.environ, **env_of(settings), "JUNCTION_GATEWAY_PORT": str(port), "JUNCTION_LOG_LEVEL": "WARNING",
           "JUNCTION_RATE_LIMIT_ENABLED": "false"}
    procs = [await _spawn("crm.main", env), await _spawn("gateway.main", env)]
    url = f"http://127.0.0.1:{port}"
    try:
        key = await _workspace_key(settings)
        async with aiohttp.ClientSession() as http:
            await _wait_ready(http, url)
            await _load(http, url, key) if TOTAL > 200 else None  # warm-up pass, not measured
            started = time.perf_counter()
            latencies, accepted = await _load(http, url, key)
            elapsed = time.perf_counter() - started
        q = statistics.quantiles(latencies, n=100)
        print(f"machine: {os.cpu_count()} cores; {TOTAL} creates, concurrency {CONCURRENCY}")
        print(f"throughput: {TOTAL / elapsed:.0f} contacts/s (201 readable), 202s: {accepted}")
        print(f"latency ms: p50 {q[49] * 1000:.1f}  p95 {q[94] * 1000:.1f}  p99 {q[98] * 1000:.1f}")
    finally:
        for proc in procs:
            if proc.returncode is None:  # one that died early has said why on stderr already
                proc.terminate()
            await proc.wait()
        await drop_databases(settings)


if __name__ == "__main__":
    asyncio.run(main())

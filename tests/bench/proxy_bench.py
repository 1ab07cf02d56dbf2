"""`make bench`: what the provider proxy costs. Calls/s and p50/p99 of a GET on a provider, called directly and
through `POST /connect/v1/proxy/<type>`, side by side in one run at the same concurrency and count.

The API-key provider simulator (tests/simulators/api_key_provider.py), the connections service and the gateway
run as real processes on isolated names (the gateway needs no crm for this). The simulator is an operator-folder
provider (`JUNCTION_PROVIDER_DIRS`) with loopback admitted (`JUNCTION_PROVIDER_ALLOW_NETWORKS`); its manifest's
rate limit is raised out of the way (the token bucket is still taken on every call). A workspace connects it with
the simulator's key through the gateway, then both loads run; the added latency is proxy minus direct. Figures
depend on the machine: it prints cores. Its databases and topics are removed afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from junction_common.settings import JunctionSettings
from junction_common.testing.infra import free_port, isolated
from junction_common.workspaces import create_workspace
from tests.bench.processes import bench_processes, service_env, until
from tests.bench.procstat import cpu_model
from tests.simulators.api_key_provider import ApiKeyProvider, api_key_provider
from tests.simulators.manifests import write_manifest

REQUESTS = int(os.environ.get("BENCH_PROXY_REQUESTS", "1000"))
CONCURRENCY = int(os.environ.get("BENCH_PROXY_CONCURRENCY", "16"))
TYPE = "bench_sim_api_key"
PATH = "/contacts?limit=2"


async def _serve_simulator(key: str) -> None:
    """The simulator in a process of its own (`python -m tests.bench.proxy_bench --simulator KEY`): prints its URL."""
    async with api_key_provider(api_key=key) as sim:
        print(sim.url, flush=True)
        while True:
            await asyncio.sleep(5)
            sim.requests.clear()  # it records every request; the bench does not read them


@contextlib.asynccontextmanager
async def _system(folder: Path) -> AsyncIterator[tuple[str, str, str, str]]:
    """Simulator, connections service and gateway as processes; yields (gateway url, workspace key, simulator url,
    simulator key)."""
    settings = isolated(JunctionSettings)
    port, connections_port = free_port(), free_port()
    sim_key = "bench-key-" + os.urandom(12).hex()
    async with bench_processes(settings) as procs:
        sim_url = await procs.spawn_printing(["-m", "tests.bench.proxy_bench", "--simulator", sim_key])
        manifest = ApiKeyProvider(sim_url, api_key=sim_key).manifest(TYPE)
        manifest["rate_limit"] = {"requests": 1_000_000, "per_seconds": 1, "scope": "connection"}
        write_manifest(folder, manifest)
        env = service_env(settings, port, {"connections": connections_port})
        await procs.spawn(["-m", "connections.main"], {
            **env, "JUNCTION_INTERNAL_PORT": str(connections_port), "JUNCTION_PROVIDER_DIRS": str(folder),
            "JUNCTION_PROVIDER_ALLOW_NETWORKS": "127.0.0.0/8"})
        await procs.spawn(["-m", "gateway.main"], env)
        _, key = await create_workspace(settings, "Bench", "business")
        yield f"http://127.0.0.1:{port}", key, sim_url, sim_key


async def _load(http: aiohttp.ClientSession, method: str, url: str, headers: dict[str, str],
                body: Any = None) -> tuple[list[float], float]:
    latencies: list[float] = []
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one() -> None:
        async with sem:
            started = time.perf_counter()
            async with http.request(method, url, json=body, headers=headers) as resp:
                answer = await resp.read()
                if resp.status != 200 or (body is not None and json.loads(answer)["data"]["status"] != 200):
                    raise RuntimeError(f"{method} {url}: {resp.status} {answer[:200]!r}")
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(REQUESTS)))
    return latencies, time.perf_counter() - started


def _line(label: str, latencies: list[float], seconds: float) -> tuple[float, float]:
    q = statistics.quantiles(latencies, n=100)
    print(f"  {label:<40} {len(latencies) / seconds:7.0f} calls/s   p50 {q[49] * 1000:6.1f} ms   "
          f"p99 {q[98] * 1000:6.1f} ms")
    return q[49], q[98]


async def main() -> None:
    print(f"machine: {os.cpu_count()} cores ({cpu_model()}); {REQUESTS} calls per case, concurrency {CONCURRENCY}")
    with tempfile.TemporaryDirectory(prefix="bench-providers-") as tmp:
        async with _system(Path(tmp)) as (url, key, sim_url, sim_key), aiohttp.ClientSession() as http:
            auth = {"Authorization": f"Bearer {key}"}
            direct_headers = {"Authorization": f"Bearer {sim_key}"}
            proxy_body = {"method": "GET", "path": PATH}
            await until(http, "the simulator", "GET", f"{sim_url}/me", headers=direct_headers)
            await until(http, "the gateway", "GET", f"{url}/readyz")
            connected = await until(http, "the connection", "POST", f"{url}/connect/v1/providers/{TYPE}/connect",
                                     json={"credentials": {"apiKey": sim_key}}, headers=auth)
            if connected["data"]["status"] != "CONNECTED":
                raise RuntimeError(f"not connected: {connected}")
            await _load(http, "GET", sim_url + PATH, direct_headers)  # warm-up, not measured
            await _load(http, "POST", f"{url}/connect/v1/proxy/{TYPE}", auth, proxy_body)
            print(f"GET {PATH} on the simulator:")
            direct = _line("direct", *await _load(http, "GET", sim_url + PATH, direct_headers))
            proxied = _line(f"POST /connect/v1/proxy/{TYPE}",
                            *await _load(http, "POST", f"{url}/connect/v1/proxy/{TYPE}", auth, proxy_body))
    print(f"added by the proxy: p50 {(proxied[0] - direct[0]) * 1000:.1f} ms   "
          f"p99 {(proxied[1] - direct[1]) * 1000:.1f} ms")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--simulator"]:
        asyncio.run(_serve_simulator(sys.argv[2]))
    else:
        asyncio.run(main())

"""The benches' processes: services and helpers started as Python processes on one isolated system, stopped and
their databases and topics removed at the end, and calls retried until the processes answer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from junction_common.settings import JunctionSettings
from junction_common.testing.infra import drop_databases, drop_kafka, env_of
from tests.simulators.paged_api import PagedApi


class BenchProcesses:
    """The processes of one bench run (stopped in reverse order of start by `bench_processes`)."""

    def __init__(self) -> None:
        self.procs: list[asyncio.subprocess.Process] = []

    async def spawn(self, args: list[str], env: dict[str, str] | None = None,
                    stdout: Any = asyncio.subprocess.DEVNULL) -> asyncio.subprocess.Process:
        """`python <args>` (stderr dropped; the environment is this process's unless `env` is given)."""
        proc = await asyncio.create_subprocess_exec(sys.executable, *args, env=env or dict(os.environ),
                                                    stdout=stdout, stderr=asyncio.subprocess.DEVNULL)
        self.procs.append(proc)
        return proc

    async def spawn_printing(self, args: list[str], timeout: float = 30) -> str:
        """Start a helper that prints one line when ready (its URL); that line."""
        proc = await self.spawn(args, stdout=asyncio.subprocess.PIPE)
        assert proc.stdout is not None
        return (await asyncio.wait_for(proc.stdout.readline(), timeout)).decode().strip()


@contextlib.asynccontextmanager
async def bench_processes(settings: JunctionSettings) -> AsyncIterator[BenchProcesses]:
    """Processes started in the block are terminated after it; the system's databases and topics dropped."""
    started = BenchProcesses()
    try:
        yield started
    finally:
        for proc in started.procs:
            if proc.returncode is None:  # one that died early has said why on stderr already
                proc.terminate()
            await proc.wait()
        await drop_databases(settings)
        with contextlib.suppress(Exception):
            await drop_kafka(settings)


@contextlib.asynccontextmanager
async def paged_api_process(rows: int) -> AsyncIterator[PagedApi]:
    """`python -m tests.simulators.paged_api --rows N` in a process of its own: the simulator as its clients see it."""
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "tests.simulators.paged_api", "--rows",
                                                str(rows), stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        url, key = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().split()
        yield PagedApi(url, api_key=key)
    finally:
        proc.kill()
        await proc.wait()


def service_env(settings: JunctionSettings, gateway_port: int, services: dict[str, int] | None = None
                ) -> dict[str, str]:
    """The environment of the system's services: its isolated names, quiet logs, no rate limit, and the gateway
    routing to `services` (name -> internal port; the default ports when None)."""
    env = {**os.environ, **env_of(settings), "JUNCTION_GATEWAY_PORT": str(gateway_port),
           "JUNCTION_LOG_LEVEL": "WARNING", "JUNCTION_RATE_LIMIT_ENABLED": "false"}
    if services:
        env["JUNCTION_SERVICE_URLS"] = json.dumps({name: f"http://127.0.0.1:{port}" for name, port in services.items()})
    return env


async def until(http: aiohttp.ClientSession, what: str, method: str, url: str, attempts: int = 600,
                **kwargs: Any) -> Any:
    """Retry a call until it answers 2xx (the processes are starting); returns its JSON."""
    last = ""
    for _ in range(attempts):
        with contextlib.suppress(aiohttp.ClientError):
            async with http.request(method, url, **kwargs) as resp:
                if resp.status < 300:
                    return await resp.json()
                last = f"{resp.status} {await resp.text()}"
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{what} did not come up: {last}")

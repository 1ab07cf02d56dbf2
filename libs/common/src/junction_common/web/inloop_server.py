"""uvicorn serving an app inside a process's own event loop (the process handles its own signals and stops it)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any, Literal

import uvicorn


class _Server(uvicorn.Server):
    """uvicorn that leaves the signals to its process (the service or the gateway stops it)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class InternalServer:
    """Serves an internal app with uvicorn inside the running event loop; port 0 picks a free port."""

    def __init__(self, app: Any, host: str, port: int, lifespan: Literal["on", "off"] = "on") -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan=lifespan)
        self.server = _Server(config)
        self._task: asyncio.Task[None] | None = None
        self.host = host

    async def start(self) -> None:
        self._task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("internal API did not start")
            await asyncio.sleep(0.02)

    @property
    def port(self) -> int:
        sockets = self.server.servers[0].sockets if self.server.servers else []
        port: int = sockets[0].getsockname()[1] if sockets else 0
        return port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        self.server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task

"""Small aiohttp servers for tests (receivers, provider simulators): served on a loopback port for a block."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web

from junction_common.testing.infra import free_port


def catch_all(handle: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.Application:
    """An app answering every method and path with `handle`."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


@asynccontextmanager
async def serving(app: web.Application, port: int | None = None) -> AsyncIterator[str]:
    """`app` served on 127.0.0.1:`port` (a free port when None) until the block ends; yields its base URL."""
    port = port or free_port()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()

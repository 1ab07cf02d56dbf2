"""A minimal HTTP liveness endpoint for services that have no API of their own (GET /healthz)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

_OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\nConnection: close\r\n\r\n"
_DOWN = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
_MISSING = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


async def serve_health(host: str, port: int, healthy: Callable[[], bool]) -> asyncio.Server:
    """Answer `GET /healthz` with 200 while `healthy()` holds, 503 otherwise."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), 5)
            path = request_line.split(b" ")[1] if request_line.count(b" ") >= 2 else b""
            if path != b"/healthz":
                writer.write(_MISSING)
            else:
                writer.write(_OK + b'{"status":"ok"}' if healthy() else _DOWN)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)

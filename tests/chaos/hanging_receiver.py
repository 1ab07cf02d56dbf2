"""A webhook receiver that hangs: it accepts every connection, reads the request, and never answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from junction_common.testing.infra import free_port


@dataclass
class Hanging:
    url: str
    connections: int = 0


@asynccontextmanager
async def hanging_receiver(path: str = "/hook") -> AsyncIterator[Hanging]:
    port = free_port()
    state = Hanging(f"http://127.0.0.1:{port}{path}")
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        held.append(writer)  # kept open until the receiver stops; the sender's timeout has to end it
        try:
            while await reader.read(65536):
                pass
        except ConnectionError:
            pass

    server = await asyncio.start_server(hold, "127.0.0.1", port)
    try:
        yield state
    finally:
        server.close()
        for writer in held:
            writer.close()
        await server.wait_closed()

"""A webhook receiver for tests: a real HTTP server that records what arrives and fails on command."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from junction_common.testing.infra import free_port
from tests.aiohttp_runner import catch_all, serving


@dataclass
class Received:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        import json

        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    # Answers to give, in order, before falling back to `status` (e.g. [500, 500] then 200).
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # how long each answer takes

    def of_type(self, event_type: str) -> list[Received]:
        return [r for r in self.received if r.json.get("type") == event_type]

    def ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.received]


@asynccontextmanager
async def receiver(path: str = "/hook") -> AsyncIterator[Receiver]:
    port = free_port()
    state = Receiver(f"http://127.0.0.1:{port}{path}")

    async def handle(request: web.Request) -> web.Response:
        arrived = time.time()  # stamped on arrival: a sender killed while the answer is delayed had already sent
        body = await request.read()
        if state.delay_s:
            await asyncio.sleep(state.delay_s)
        state.received.append(Received(arrived, request.path, dict(request.headers), body))
        status, headers = state.script.pop(0) if state.script else (state.status, state.headers)
        return web.Response(status=status, headers=headers, text="ok" if status < 300 else f"no: {status}")

    async with serving(catch_all(handle), port):
        yield state

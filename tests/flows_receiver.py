"""An HTTP receiver for flow steps: a real aiohttp server that applies each Idempotency-Key's effect once
(a repeat gets the first answer back), counts calls per key, and fails on command (scripted statuses)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from junction_common.testing.infra import free_port
from tests.aiohttp_runner import catch_all, serving


@dataclass
class FlowReceiver:
    url: str
    calls: dict[str, int] = field(default_factory=dict)  # Idempotency-Key -> calls received
    effects: list[dict[str, Any]] = field(default_factory=list)  # one per key applied: path, body, key
    script: list[int] = field(default_factory=list)  # statuses to answer first (e.g. [500, 500])
    fail_paths: dict[str, int] = field(default_factory=dict)  # path -> status answered while set
    delay_s: float = 0.0

    def effects_on(self, path: str) -> list[dict[str, Any]]:
        return [e for e in self.effects if e["path"] == path]


@asynccontextmanager
async def flow_receiver() -> AsyncIterator[FlowReceiver]:
    port = free_port()
    state = FlowReceiver(f"http://127.0.0.1:{port}")
    answers: dict[str, Any] = {}

    async def handle(request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key", "")
        state.calls[key] = state.calls.get(key, 0) + 1
        raw = await request.read()
        if state.delay_s:
            await asyncio.sleep(state.delay_s)
        if request.path in state.fail_paths:
            return web.json_response({"error": "failing"}, status=state.fail_paths[request.path])
        if state.script:
            return web.json_response({"error": "scripted"}, status=state.script.pop(0))
        if key and key in answers:
            return web.json_response(answers[key])
        body = json.loads(raw) if raw else None
        answer = {"ok": True, "n": len(state.effects) + 1, "echo": body, "query": dict(request.query)}
        state.effects.append({"path": request.path, "body": body, "key": key})
        if key:
            answers[key] = answer
        return web.json_response(answer)

    async with serving(catch_all(handle), port):
        yield state

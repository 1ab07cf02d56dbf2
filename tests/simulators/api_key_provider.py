"""An API-key provider for tests, a real HTTP server: every path checks the key where the manifest says it
goes (a header with a template such as `Bearer {apiKey}`, a query parameter, or HTTP basic), answers 200 with
JSON or 401, and on command answers 429 with Retry-After or 5xx for the next N calls. Every request is
recorded (method, path, query, headers, body).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aiohttp import web

from junction_common.testing.infra import free_port
from tests.aiohttp_runner import catch_all, serving
from tests.simulators.manifests import base_manifest, write_manifest

Json = dict[str, Any]


@dataclass
class Seen:
    at: float
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class ApiKeyProvider:
    url: str
    location: Literal["header", "query", "basic"] = "header"
    name: str = "Authorization"  # the header or query parameter
    template: str = "Bearer {apiKey}"  # for basic: "username:password", e.g. "{apiKey}:"
    api_key: str = field(default_factory=lambda: "sim-key-" + secrets.token_urlsafe(16))
    requests: list[Seen] = field(default_factory=list)
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # answers to give first, in order
    delay_s: float = 0.0

    def throttle_next(self, calls: int, retry_after_s: int = 1) -> None:
        """The next `calls` requests answer 429 with Retry-After."""
        self.script += [(429, {"Retry-After": str(retry_after_s)})] * calls

    def fail_next(self, calls: int, status: int = 503) -> None:
        """The next `calls` requests answer `status` (a 5xx)."""
        self.script += [(status, {})] * calls

    def authorized(self, request: web.Request) -> bool:
        expected = self.template.replace("{apiKey}", self.api_key)
        if self.location == "header":
            presented = request.headers.get(self.name, "")
        elif self.location == "query":
            presented = request.query.get(self.name, "")
        else:
            presented = _basic(request.headers.get("Authorization", ""))
        return secrets.compare_digest(presented.encode(), expected.encode())

    def manifest(self, type_: str = "sim_api_key") -> Json:
        auth: Json = {"kind": "api_key", "location": self.location, "template": self.template,
                      "fields": [{"name": "apiKey", "label": "API key"}]}
        if self.location != "basic":
            auth["name"] = self.name
        return base_manifest(type_, "Simulated API-key Provider", self.url, auth, "CRM")

    def write_manifest(self, folder: Path, type_: str = "sim_api_key") -> Path:
        """Write an operator-folder manifest pointing at this server."""
        return write_manifest(folder, self.manifest(type_))


def _basic(header: str) -> str:
    try:
        return base64.b64decode(header[6:], validate=True).decode() if header.startswith("Basic ") else ""
    except ValueError:
        return ""


def _answer(sim: ApiKeyProvider, request: web.Request) -> tuple[int, dict[str, str], Json]:
    if sim.script:
        status, headers = sim.script.pop(0)
        return status, headers, {"error": "throttled" if status == 429 else "unavailable"}
    if not sim.authorized(request):
        return 401, {}, {"error": "unauthorized"}
    if request.path == "/me":
        return 200, {}, {"id": "sim-account-1", "name": "Simulated account"}
    return 200, {}, {"data": [{"id": "c1", "name": "Ada"}], "path": request.path, "method": request.method}


@asynccontextmanager
async def api_key_provider(**knobs: Any) -> AsyncIterator[ApiKeyProvider]:
    """Run the simulator on a free port for the duration of the block."""
    port = free_port()
    sim = ApiKeyProvider(f"http://127.0.0.1:{port}", **knobs)

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        if sim.delay_s:
            await asyncio.sleep(sim.delay_s)
        status, headers, payload = _answer(sim, request)
        sim.requests.append(Seen(time.time(), request.method, request.path, dict(request.query),
                                 dict(request.headers), body, status))
        return web.json_response(payload, status=status, headers=headers)

    async with serving(catch_all(handle), port):
        yield sim

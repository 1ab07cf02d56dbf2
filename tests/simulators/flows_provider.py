"""A provider for the flows tests, a real HTTP server with an API key (`Authorization: Bearer <key>`): it lists
`deals` (what a poll trigger reads; the test changes the list, or re-publishes the same items), creates contacts
(what a provider action calls), and records every request with its Idempotency-Key. Its manifest also declares
webhooks (`deal.won`, `deal.lost`, signed HMAC-SHA256 hex in `X-Sim-Signature`, subscribed by hand)."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from junction_common.testing.infra import free_port
from tests.aiohttp_runner import catch_all, serving
from tests.simulators.manifests import write_manifest

Json = dict[str, Any]
CONTACT_SCHEMA = {"type": "object", "required": ["email"], "additionalProperties": False,
                  "properties": {"email": {"type": "string", "format": "email", "minLength": 3},
                                 "name": {"type": "string", "maxLength": 100}}}


@dataclass
class FlowsProvider:
    url: str
    api_key: str = field(default_factory=lambda: "flows-sim-" + secrets.token_urlsafe(12))
    deals: list[Json] = field(default_factory=list)
    requests: list[tuple[str, str, str | None, Json | None]] = field(default_factory=list)

    def calls_per_key(self, method: str, path: str) -> Counter[str | None]:
        """How many times each Idempotency-Key reached `method path`."""
        return Counter(key for m, p, key, _ in self.requests if m == method and p == path)

    def manifest(self, type_: str) -> Json:
        return {
            "type": type_, "name": "Flows Sim CRM", "description": "A provider simulator for the flows tests.",
            "categories": ["CRM"], "docs_url": f"{self.url}/docs", "api_base_url": self.url,
            "auth": {"kind": "api_key", "location": "header", "name": "Authorization", "template": "Bearer {apiKey}",
                     "fields": [{"name": "apiKey", "label": "API key"}]},
            "test": {"method": "GET", "path": "/me", "expect_status": 200},
            "streams": [{"name": "deals", "path": "/deals", "records_path": "data", "primary_key": "id"}],
            "actions": [{"name": "create_contact", "label": "Create contact", "method": "POST", "path": "/contacts",
                         "input_schema": CONTACT_SCHEMA},
                        {"name": "get_contact", "label": "Get contact", "method": "GET", "path": "/contacts/{id}",
                         "input_schema": {"type": "object", "required": ["id"],
                                          "properties": {"id": {"type": "string"}}}}],
            "triggers": [{"name": "new_deal", "label": "New deal", "kind": "poll", "stream": "deals"},
                         {"name": "deal_won", "label": "Deal won", "kind": "webhook", "event": "deal.won"}],
            "webhooks": {"events": ["deal.won", "deal.lost"], "subscribe": "manual",
                         "signing": {"scheme": "hmac_sha256", "header": "X-Sim-Signature"},
                         "delivery_id": "header:X-Sim-Delivery", "event_type": "body:kind"},
        }

    def write_manifest(self, folder: Path, type_: str) -> Path:
        return write_manifest(folder, self.manifest(type_))


@asynccontextmanager
async def flows_provider() -> AsyncIterator[FlowsProvider]:
    """Run the simulator on a free port for the duration of the block."""
    port = free_port()
    sim = FlowsProvider(f"http://127.0.0.1:{port}")

    async def handle(request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else None
        sim.requests.append((request.method, request.path, request.headers.get("Idempotency-Key"), body))
        if request.headers.get("Authorization") != f"Bearer {sim.api_key}":
            return web.json_response({"error": "unauthorized"}, status=401)
        if request.path == "/me":
            return web.json_response({"id": "me"})
        if request.path == "/deals":
            return web.json_response({"data": sim.deals})
        if request.path == "/contacts" and request.method == "POST":
            return web.json_response({"id": "ct_" + secrets.token_hex(4), **(body or {})}, status=201)
        if request.path.startswith("/contacts/"):
            return web.json_response({"id": request.path.rsplit("/", 1)[-1], "email": "ada@example.com"})
        return web.json_response({"error": "not found"}, status=404)

    async with serving(catch_all(handle), port):
        yield sim

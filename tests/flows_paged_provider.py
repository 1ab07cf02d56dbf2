"""A paged provider for the flows poll tests, a real HTTP server with API keys (`Authorization: Bearer <key>`):
each key (a connection) sees its own `leads` (cursor pages: `?cursor=<offset>&limit=`, the next cursor in the
answer's `next`) and `accounts` (a bare list per page, the next page in a `Link: <...>; rel="next"` header); every
page served is counted per key and path."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.aiohttp_runner import catch_all, serving
from tests.simulators.manifests import write_manifest

Json = dict[str, Any]
PAGE = 2
CURSOR_PAGING = {"style": "cursor", "token_path": "next", "param": "cursor", "size_param": "limit", "page_size": PAGE}
LINK_PAGING = {"style": "link", "size_param": "limit", "page_size": PAGE}


@dataclass
class PagedProvider:
    url: str
    leads: dict[str, list[Json]] = field(default_factory=dict)  # API key -> its leads
    accounts: dict[str, list[Json]] = field(default_factory=dict)  # API key -> its accounts
    pages: Counter[tuple[str, str]] = field(default_factory=Counter)  # (API key, path) -> pages served

    def manifest(self, type_: str) -> Json:
        return {
            "type": type_, "name": "Flows Paged CRM", "description": "A paged provider simulator for the flows tests.",
            "categories": ["CRM"], "docs_url": f"{self.url}/docs", "api_base_url": self.url,
            "auth": {"kind": "api_key", "location": "header", "name": "Authorization", "template": "Bearer {apiKey}",
                     "fields": [{"name": "apiKey", "label": "API key"}]},
            "test": {"method": "GET", "path": "/me", "expect_status": 200},
            "streams": [{"name": "leads", "path": "/leads", "records_path": "data", "primary_key": "id",
                         "pagination": CURSOR_PAGING},
                        {"name": "accounts", "path": "/accounts", "primary_key": "id", "pagination": LINK_PAGING}],
            "triggers": [{"name": "new_lead", "label": "New lead", "kind": "poll", "stream": "leads"},
                         {"name": "new_account", "label": "New account", "kind": "poll", "stream": "accounts"}],
        }

    def write_manifest(self, folder: Path, type_: str) -> Path:
        return write_manifest(folder, self.manifest(type_))


@asynccontextmanager
async def paged_provider() -> AsyncIterator[PagedProvider]:
    """Run the simulator on a free port for the duration of the block."""
    sim = PagedProvider("")

    async def handle(request: web.Request) -> web.Response:
        key = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if key not in sim.leads:
            return web.json_response({"error": "unauthorized"}, status=401)
        if request.path == "/me":
            return web.json_response({"id": "me"})
        limit = int(request.query.get("limit", str(PAGE)))  # a fixed page size unless asked
        if request.path == "/leads":
            start = int(request.query.get("cursor", "0"))
            sim.pages[key, "/leads"] += 1
            rows = sim.leads[key]
            more = start + limit < len(rows)
            return web.json_response({"data": rows[start:start + limit], "next": str(start + limit) if more else None})
        if request.path == "/accounts":
            page = int(request.query.get("page", "1"))
            sim.pages[key, "/accounts"] += 1
            rows = sim.accounts.get(key, [])
            headers = {"Link": f'<{sim.url}/accounts?page={page + 1}&limit={limit}>; rel="next"'} \
                if page * limit < len(rows) else {}
            return web.json_response(rows[(page - 1) * limit:page * limit], headers=headers)
        return web.json_response({"error": "not found"}, status=404)

    async with serving(catch_all(handle)) as url:
        sim.url = url
        yield sim

"""A paged REST API for sync tests, a real HTTP server: `rows` items `{id, name, score, updated_at}` served in
every common pagination style, with the faults real APIs have. Every request is recorded.

Endpoints (GET; records under `data`, ordered by (updated_at, id)):
- `/me`: the account (what a credential check calls).
- `/items/page?page=N&per_page=K`: page numbers from 1.
- `/items/offset?offset=O&limit=K`
- `/items/cursor?cursor=T&limit=K`: the answer's `meta.next_cursor` is the next token (null on the last page).
- `/items/next_url?cursor=T&limit=K`: the answer's `next` is the next page's full URL (null on the last page).
- `/items/link?page=N&per_page=K`: a `Link: <url>; rel="next"` header until the last page.
Every list takes `updated_since=<ISO-8601>`: only rows with updated_at >= it (inclusive, as most APIs are), and
`updated_until=<ISO-8601>`: only rows with updated_at <= it (inclusive).
The page size is `per_page`/`limit`, else `page_size`.

Auth: `auth="bearer"` (`Authorization: Bearer <api_key>`), `"api_key"` (the `X-Api-Key` header), or `"none"`;
a wrong key answers 401.

Faults, each page counted by its position (0-based page index = first row // page size):
- `fail_once={i}`: page i answers 500 the first time it is asked for.
- `throttle_once={i: s}`: page i answers 429 with `Retry-After: s` the first time.
- `type_change_at=n`: rows from index n on carry `score` as a string ("17") instead of an integer.
- `delay_s`: each page waits that long (for cancellation tests).

Windows: with `window` (an ISO-8601 duration, e.g. `PT5M`) `provider()` cuts each incremental read into windows of
that length from `base` (its `start_date`) to now, each asked with `updated_since` and `updated_until` (both
inclusive, to the second, so windows never overlap), and checkpointed by its own STATE message.

Timestamps: row i is updated at `base` (default BASE) + (i // `same_second`) * `seconds_apart` seconds, so
`same_second` rows share each cursor value (the inclusive-boundary case). `add_rows(n)` appends newer rows,
`touch(ids)` updates rows (a newer updated_at, name suffixed), both later than every existing row.

Run alone: `python -m tests.simulators.paged_api --rows 10000` prints its URL and API key.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from aiohttp import web

from junction_common.testing.infra import free_port
from tests.aiohttp_runner import serving

BASE = datetime(2026, 1, 1, tzinfo=UTC)
STYLES = ("page", "offset", "cursor", "next_url", "link")
Json = dict[str, Any]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Seen:
    """One request the simulator answered."""

    at: float  # time.monotonic() when it arrived
    path: str
    query: dict[str, str]
    status: int


@dataclass
class PagedApi:
    url: str
    rows: list[Json] = field(default_factory=list)
    auth: Literal["bearer", "api_key", "none"] = "bearer"
    api_key: str = field(default_factory=lambda: "paged-key-" + secrets.token_urlsafe(16))
    page_size: int = 50
    same_second: int = 2
    seconds_apart: int = 1
    base: datetime = BASE
    fail_once: set[int] = field(default_factory=set)
    throttle_once: dict[int, int] = field(default_factory=dict)
    type_change_at: int | None = None
    delay_s: float = 0.0
    window: str | None = None  # provider(): incremental reads cut into windows of this ISO-8601 duration
    requests: list[Seen] = field(default_factory=list)
    record_requests: bool = True
    _clock: datetime | None = None

    def add_rows(self, count: int) -> list[Json]:
        """Append `count` rows updated after every existing one; returns them."""
        start = len(self.rows)
        added = []
        self._clock = self._clock or self.base
        for i in range(start, start + count):
            if i % self.same_second == 0 and i:
                self._clock += timedelta(seconds=self.seconds_apart)
            score: Any = i % 100
            if self.type_change_at is not None and i >= self.type_change_at:
                score = str(score)
            added.append({"id": i + 1, "name": f"item {i + 1}", "score": score, "updated_at": stamp(self._clock)})
        self.rows.extend(added)
        return added

    def touch(self, ids: list[int]) -> None:
        """Update rows `ids`: a newer updated_at than any row, and a changed name."""
        self._clock = (self._clock or self.base) + timedelta(seconds=self.seconds_apart)
        for row in self.rows:
            if row["id"] in ids:
                row["name"] += " (updated)"
                row["updated_at"] = stamp(self._clock)

    def listed(self, since: str | None, until: str | None = None) -> list[Json]:
        kept = [r for r in self.rows if (since is None or r["updated_at"] >= _normal(since))
                and (until is None or r["updated_at"] <= _normal(until))]
        return sorted(kept, key=lambda r: (r["updated_at"], r["id"]))

    def authorized(self, request: web.Request) -> bool:
        if self.auth == "none":
            return True
        presented = (request.headers.get("Authorization", "") if self.auth == "bearer"
                     else request.headers.get("X-Api-Key", ""))
        expected = f"Bearer {self.api_key}" if self.auth == "bearer" else self.api_key
        return secrets.compare_digest(presented.encode(), expected.encode())

    def fault(self, index: int) -> web.Response | None:
        """The fault page `index` answers with the first time, if it has one."""
        if index in self.fail_once:
            self.fail_once.discard(index)
            return web.json_response({"error": "flaky"}, status=500)
        if index in self.throttle_once:
            wait = self.throttle_once.pop(index)
            return web.json_response({"error": "slow down"}, status=429, headers={"Retry-After": str(wait)})
        return None


def _normal(since: str) -> str:
    """An ISO-8601 lower bound in the rows' own format (so string comparison orders them)."""
    parsed = datetime.fromisoformat(since.replace("Z", "+00:00"))
    return stamp(parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC))


def _int(request: web.Request, name: str, default: int) -> int:
    try:
        return int(request.query.get(name, default))
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name} is not an integer") from None


def _window(api: PagedApi, request: web.Request, style: str) -> tuple[int, int]:
    """The (first row, page size) a request asks for."""
    size = max(1, min(1000, _int(request, "per_page" if style in ("page", "link") else "limit", api.page_size)))
    if style in ("page", "link"):
        return (max(1, _int(request, "page", 1)) - 1) * size, size
    if style == "offset":
        return max(0, _int(request, "offset", 0)), size
    token = request.query.get("cursor", "")
    return (int(token[1:]) if token.startswith("c") and token[1:].isdigit() else 0), size


def _next_query(request: web.Request, style: str, first: int, size: int) -> dict[str, str]:
    query = dict(request.query)
    if style == "link":
        query["page"] = str(first // size + 2)
    else:
        query["cursor"] = f"c{first + size}"
    return query


async def _items(api: PagedApi, request: web.Request) -> web.Response:
    style = request.match_info["style"]
    if style not in STYLES:
        raise web.HTTPNotFound()
    first, size = _window(api, request, style)
    faulty = api.fault(first // size)
    if faulty is not None:
        return faulty
    if api.delay_s:
        await asyncio.sleep(api.delay_s)
    listed = api.listed(request.query.get("updated_since"), request.query.get("updated_until"))
    page = listed[first:first + size]
    more = first + size < len(listed)
    body: Json = {"data": page}
    headers: dict[str, str] = {}
    if more and style != "page" and style != "offset":
        following = str(request.url.with_query(_next_query(request, style, first, size)))
        if style == "cursor":
            body["meta"] = {"next_cursor": f"c{first + size}"}
        elif style == "next_url":
            body["next"] = following
        else:
            headers["Link"] = f'<{following}>; rel="next"'
    elif style == "cursor":
        body["meta"] = {"next_cursor": None}
    elif style == "next_url":
        body["next"] = None
    return web.json_response(body, headers=headers)


def _app(api: PagedApi) -> web.Application:
    @web.middleware
    async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
        arrived = time.monotonic()
        if not api.authorized(request):
            response: web.StreamResponse = web.json_response({"error": "unauthorized"}, status=401)
        else:
            response = await handler(request)
        if api.record_requests:
            api.requests.append(Seen(arrived, request.path, dict(request.query), response.status))
        return response

    async def me(_: web.Request) -> web.Response:
        return web.json_response({"id": "acct-1", "name": "Paged API account"})

    async def items(request: web.Request) -> web.Response:
        return await _items(api, request)

    app = web.Application(middlewares=[guard])
    app.router.add_get("/me", me)
    app.router.add_get("/items/{style}", items)
    return app


@asynccontextmanager
async def paged_api(rows: int = 0, **knobs: Any) -> AsyncIterator[PagedApi]:
    """Run the simulator with `rows` rows on a free port for the duration of the block."""
    port = free_port()
    api = PagedApi(f"http://127.0.0.1:{port}", **knobs)
    api.add_rows(rows)
    async with serving(_app(api), port):
        yield api


def provider(api: PagedApi, style: str = "page", *, type_: str = "paged_sim", page_size: int = 50,
             incremental: bool = True) -> Json:
    """A provider YAML (as connections' catalogue holds it) for the simulator, one stream `items` in `style`."""
    if api.auth == "bearer":
        auth: Json = {"kind": "api_key", "location": "header", "name": "Authorization", "template": "Bearer {apiKey}"}
    else:
        auth = {"kind": "api_key", "location": "header", "name": "X-Api-Key", "template": "{apiKey}"}
    params = {"page": ("page", "per_page"), "link": (None, "per_page"), "offset": ("offset", "limit"),
              "cursor": ("cursor", "limit"), "next_url": (None, "limit")}[style]
    pagination: Json = {"style": style, "page_size": page_size, "size_param": params[1]}
    if params[0]:
        pagination["param"] = params[0]
    if style in ("cursor", "next_url"):
        pagination["token_path"] = "meta.next_cursor" if style == "cursor" else "next"
    stream: Json = {"name": "items", "path": f"/items/{style}", "primary_key": "id", "records_path": "data",
                    "pagination": pagination}
    if incremental:
        stream["cursor_field"] = "updated_at"
        stream["incremental"] = {"request_param": "updated_since"}
        if api.window:  # in-stream checkpoints: one STATE per window read
            stream["incremental"] |= {"step": api.window, "end_param": "updated_until", "start_date": stamp(api.base)}
    return {"type": type_, "name": "Paged simulator", "description": "A paged API simulator.",
            "categories": ["CRM"], "docs_url": f"{api.url}/docs", "api_base_url": api.url, "auth": auth,
            "test": {"method": "GET", "path": "/me"}, "streams": [stream]}


async def _serve(rows: int, port: int) -> None:
    api = PagedApi(f"http://127.0.0.1:{port}", record_requests=False)
    api.add_rows(rows)
    async with serving(_app(api), port):
        print(api.url, api.api_key, flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(_serve(args.rows, args.port or free_port()))

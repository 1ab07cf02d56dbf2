"""An app behind the route index answers like FastAPI: params, 405, 404, and routes declared after a request."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, FastAPI

from junction_common.web.route_index import IndexedRouting, install_route_index


def _call(app: FastAPI, method: str, path: str) -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "root_path": "",
             "query_string": b"", "headers": [], "scheme": "http", "server": ("t", 80), "client": ("c", 1),
             "http_version": "1.1", "asgi": {"version": "3.0"}}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def _app() -> FastAPI:
    app = FastAPI()
    items = APIRouter(prefix="/v1/items")

    @items.get("/{item_id}")
    async def get_item(item_id: str) -> dict[str, str]:
        return {"item": item_id}

    @app.post("/v1/hooks/{token}")
    async def hook(token: str) -> dict[str, str]:
        return {"hook": token}

    app.include_router(items)
    assert install_route_index(app)
    return app


def test_answers_as_fastapi_would() -> None:
    app = _app()
    assert isinstance(app.router.middleware_stack, IndexedRouting)
    assert _call(app, "GET", "/v1/items/a1") == (200, b'{"item":"a1"}')
    assert _call(app, "POST", "/v1/hooks/t1") == (200, b'{"hook":"t1"}')
    assert _call(app, "GET", "/v1/hooks/t1")[0] == 405
    assert _call(app, "GET", "/v1/nothing")[0] == 404


def test_a_route_declared_after_the_first_request_is_found() -> None:
    app = _app()
    assert _call(app, "GET", "/v1/late")[0] == 404

    @app.get("/v1/late")
    async def late() -> dict[str, bool]:
        return {"late": True}

    assert _call(app, "GET", "/v1/late") == (200, b'{"late":true}')

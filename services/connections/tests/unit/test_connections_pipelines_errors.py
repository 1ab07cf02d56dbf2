"""A pipelines route's errors leave in pipelines-api's shape, never the /v1 envelope."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query

from junction_common.web import errors
from junction_common.web.envelope import ApiError
from junction_common.web.pipelines_shape import PipelinesRoute


def app() -> FastAPI:
    api = APIRouter(route_class=PipelinesRoute)

    @api.get("/missing")
    async def missing() -> None:
        raise ApiError("NOT_FOUND", "Connection not found.")

    @api.get("/limited")
    async def limited(limit: Annotated[int, Query(ge=1)]) -> dict[str, int]:
        return {"limit": limit}

    built = FastAPI()
    errors.install(built)  # the /v1 handlers every internal API has: the route's own shape comes first
    built.include_router(api)
    return built


async def get(path: str, query: str = "") -> tuple[int, Any]:
    """One GET through the ASGI app, in process."""
    sent: list[dict[str, Any]] = []
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "root_path": "",
             "query_string": query.encode(), "headers": [], "scheme": "http", "server": ("test", 80),
             "client": ("test", 1), "http_version": "1.1"}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app()(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body)


async def test_an_api_error_is_in_the_pipelines_shape() -> None:
    status, body = await get("/missing")
    assert status == 404
    assert body == {"success": False, "code": "NOT_FOUND", "message": "Connection not found."}


async def test_a_validation_error_is_in_the_pipelines_shape() -> None:
    status, body = await get("/limited", "limit=0")
    assert status == 422
    assert (body["success"], body["code"]) == (False, "VALIDATION_ERROR")
    assert body["details"][0]["pointer"] == "/query/limit"

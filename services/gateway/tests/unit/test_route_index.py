"""The route index picks, for every path the gateway serves, the route FastAPI's own loop picks."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.routing import Match

from gateway.main import create_app
from gateway.settings import GatewaySettings
from junction_common.web.route_index import IndexedRouting, RouteIndex, literal_segments

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(GatewaySettings())


def _scope(method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "query_string": b"", "headers": []}


def _fastapi_pick(app: FastAPI, scope: dict[str, Any]) -> Any:
    for route in app.router.routes:
        if route.matches(dict(scope))[0] == Match.FULL:
            return route
    return None


def _paths(app: FastAPI) -> list[str]:
    """Every served path with its parameters filled in, and near misses of each (a slash more, a segment more)."""
    served = [re.sub(r"\{[^}]+\}", "x1", path) for path in app.openapi()["paths"]]
    return [*served, *(p + "/" for p in served), *(p + "/extra" for p in served), "/", "/nothing/here", "/v1"]


def test_every_path_and_method_gets_the_route_fastapi_would_pick(app: FastAPI) -> None:
    index = RouteIndex(app.router.routes)
    checked = 0
    for path in _paths(app):
        for method in METHODS:
            scope = _scope(method, path)
            found = index.find(dict(scope))
            assert (found[0] if found else None) is _fastapi_pick(app, scope), (method, path)
            checked += found is not None
    assert checked > 200  # the gateway's operations, each found through the index


def test_a_path_tries_only_routes_filed_under_its_own_start(app: FastAPI) -> None:
    index = RouteIndex(app.router.routes)
    hook = index.candidates("/connect/v1/flow-hooks/whk_1")
    assert 0 < len(hook) < len(app.router.routes) / 10
    assert literal_segments("/connect/v1/flow-hooks/{token}") == ("connect", "v1", "flow-hooks")
    assert literal_segments("/v1/contacts") == ("v1", "contacts")


def test_the_gateway_app_routes_through_the_index(app: FastAPI) -> None:
    assert isinstance(app.router.middleware_stack, IndexedRouting)

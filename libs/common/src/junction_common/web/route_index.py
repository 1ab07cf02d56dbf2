"""Finding a request's route by its path's literal segments instead of trying every route in turn.

FastAPI matches a request against an app's routes one by one, a regex each, and within every included router
against all of that router's routes. The gateway declares ~200 operations, so a webhook call at the end of the
list spent more of the gateway's CPU finding its route than forwarding it (measured: 1.1-1.2 ms of gateway CPU per
call, 0.7-0.8 ms with its route first).

`RouteIndex` files each top-level route (or included router) under the literal segments its paths start with
(`/connect/v1/flow-hooks/{token}` under `connect/v1/flow-hooks`). A request tries only the routes filed under a
prefix of its own path, in their declared order, so the route it gets is the one FastAPI's loop would pick: a
route not tried cannot match (its literal start differs from the path's). A request none of them fully matches
(a 405, a trailing-slash redirect, a 404) goes through FastAPI's own matching, unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI

# What FastAPI's router does for the route it picks (fastapi 0.165, pinned in uv.lock; the gateway's unit test
# tests/unit/test_route_index.py checks the index against FastAPI's own choice for every route).
from fastapi.routing import _apply_router_form_limits, _update_scope
from fastapi.telemetry._api import _route_selected
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

Prefix = tuple[str, ...]


def literal_segments(path: str) -> Prefix:
    """A route path's leading segments up to its first parameter (`/v1/contacts/{id}` -> `("v1", "contacts")`)."""
    found: list[str] = []
    for segment in path.split("/")[1:]:
        if "{" in segment:
            break
        found.append(segment)
    return tuple(found)


def route_prefixes(route: BaseRoute, outer: str = "") -> set[Prefix] | None:
    """The literal starts of the paths `route` can match (an included router: its routes'), None when any path
    might match (a mount, or a route kind this index does not know)."""
    if isinstance(route, Route) and not isinstance(route, Mount):
        return {literal_segments(outer + route.path)}
    inner, context = getattr(route, "original_router", None), getattr(route, "include_context", None)
    if inner is None or context is None or getattr(inner, "_low_priority_routes", None):
        return None
    prefixes: set[Prefix] = set()
    for child in inner.routes:
        found = route_prefixes(child, outer + context.prefix)
        if found is None:
            return None
        prefixes |= found
    return prefixes


class _Node:
    __slots__ = ("children", "routes")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.routes: list[tuple[int, BaseRoute]] = []


class RouteIndex:
    """The app's top-level routes by literal path prefix (see the module docstring)."""

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        self.root = _Node()
        for position, route in enumerate(routes):
            prefixes = route_prefixes(route)
            for prefix in prefixes if prefixes is not None else {()}:
                node = self.root
                for segment in prefix:
                    node = node.children.setdefault(segment, _Node())
                node.routes.append((position, route))

    def candidates(self, path: str) -> list[BaseRoute]:
        """The routes that may match `path`, in declared order (a route filed under two prefixes once)."""
        found: dict[int, BaseRoute] = {}
        node: _Node | None = self.root
        segments = path.split("/")[1:]
        depth = 0
        while node is not None:
            found.update(node.routes)
            node = node.children.get(segments[depth]) if depth < len(segments) else None
            depth += 1
        return [found[position] for position in sorted(found)]

    def find(self, scope: Scope) -> tuple[BaseRoute, Scope] | None:
        """The first route that fully matches the request, with its child scope; None when none does."""
        for route in self.candidates(scope["path"]):
            match, child_scope = route.matches(scope)
            if match == Match.FULL:
                return route, child_scope
        return None


class IndexedRouting:
    """The app router's own entry, finding HTTP routes through a `RouteIndex` (built on the first request, when
    every route is declared); anything else is the router's as before."""

    def __init__(self, app: FastAPI, fallback: ASGIApp) -> None:
        self.app, self.fallback = app, fallback
        self.index: RouteIndex | None = None
        self.routes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("root_path"):
            await self.fallback(scope, receive, send)
            return
        router: Any = self.app.router
        if self.index is None or len(router.routes) != self.routes:  # a route declared since: file it too
            self.index, self.routes = RouteIndex(router.routes), len(router.routes)
        found = self.index.find(scope)
        if found is None:
            await self.fallback(scope, receive, send)
            return
        route, child_scope = found
        _apply_router_form_limits(scope, router.form_limits)
        scope.setdefault("router", router)
        _update_scope(scope, child_scope)
        _route_selected(scope=scope, path=getattr(route, "path_format", None), mount=False)
        await route.handle(scope, receive, send)


def install_route_index(app: FastAPI) -> bool:
    """Route `app`'s requests through a RouteIndex (call once, after every route is declared); False when its
    router has middleware of its own (the index would bypass it: the app keeps FastAPI's matching)."""
    router: Any = app.router
    if router.middleware_stack != router.app:
        return False
    router.middleware_stack = IndexedRouting(app, router.middleware_stack)
    return True

"""Per-request context: request id and trace id, bound into structlog for every log line."""

from __future__ import annotations

import re
import time
from typing import Any

import structlog
from fastapi import FastAPI, Request
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from junction_common.ids import new_ulid
from junction_common.logconfig import get_logger
from junction_common.tracing import current_trace_id, tracer
from junction_common.web.envelope import request_id_of

__all__ = ["RequestContextMiddleware", "install", "request_id_of"]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
log = get_logger("gateway.http")


class RequestContextMiddleware:
    """Accept a well-formed X-Request-Id or mint one; echo it and the trace id on every response.

    A plain ASGI middleware: it wraps `send` rather than running the app in a task of its own with streams
    between (Starlette's BaseHTTPMiddleware), which cost more than the rest of the gateway's per-request work."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        supplied = Headers(scope=scope).get("x-request-id", "")
        request_id = supplied if _REQUEST_ID.match(supplied) else "req_" + new_ulid()
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started, status = time.perf_counter(), 500
        method, path = scope["method"], scope["path"]
        with tracer("junction.gateway").start_as_current_span(f"{method} {path}") as span:
            trace_id = current_trace_id()
            structlog.contextvars.bind_contextvars(trace_id=trace_id)

            async def send_with_context(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    headers = MutableHeaders(scope=message)
                    for name, value in state.get("rate_headers", {}).items():
                        headers.setdefault(name, value)
                    headers["X-Request-Id"] = request_id
                    headers["X-Trace-Id"] = trace_id
                    headers.setdefault("X-Content-Type-Options", "nosniff")
                await send(message)

            await self.app(scope, receive, send_with_context)
            path = str(state.get("log_path") or path)
            span.update_name(f"{method} {path}")
        log.info("http_request", method=method, path=path, status=status,
                 duration_ms=round((time.perf_counter() - started) * 1000, 1))


def logged_path(request: Request) -> str:
    """The path as logs and traces show it: a route whose path holds its credential (a webhook token) sets
    `request.state.log_path` with the token shortened."""
    return str(getattr(request.state, "log_path", None) or request.url.path)


def install(app: FastAPI) -> None:
    app.add_middleware(RequestContextMiddleware)

"""Per-request context: request id and trace id, bound into structlog for every log line."""

from __future__ import annotations

import re
import time

import structlog
from fastapi import FastAPI, Request
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from junction_common.ids import new_ulid
from junction_common.logconfig import get_logger
from junction_common.tracing import current_trace_id, tracer
from junction_common.web.envelope import request_id_of

__all__ = ["RequestContextMiddleware", "install", "request_id_of"]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
log = get_logger("gateway.http")


class RequestContextMiddleware(BaseHTTPMiddleware):
    """Accept a well-formed X-Request-Id or mint one; echo it and the trace id on every response."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        supplied = request.headers.get("x-request-id", "")
        request_id = supplied if _REQUEST_ID.match(supplied) else "req_" + new_ulid()
        request.state.request_id = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        with tracer("junction.gateway").start_as_current_span(f"{request.method} {request.url.path}") as span:
            trace_id = current_trace_id()
            structlog.contextvars.bind_contextvars(trace_id=trace_id)
            response = await call_next(request)
            path = logged_path(request)
            span.update_name(f"{request.method} {path}")
        for name, value in getattr(request.state, "rate_headers", {}).items():
            response.headers.setdefault(name, value)
        response.headers["X-Request-Id"] = request_id
        response.headers["X-Trace-Id"] = trace_id
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        log.info("http_request", method=request.method, path=path, status=response.status_code,
                 duration_ms=round((time.perf_counter() - started) * 1000, 1))
        return response


def logged_path(request: Request) -> str:
    """The path as logs and traces show it: a route whose path holds its credential (a webhook token) sets
    `request.state.log_path` with the token shortened."""
    return str(getattr(request.state, "log_path", None) or request.url.path)


def install(app: FastAPI) -> None:
    app.add_middleware(RequestContextMiddleware)

"""Exception handlers: every error leaves in the documented shape of its API, validation errors with JSON pointers.

Each API base answers errors in its own reference's shape, chosen by path prefix (`shape_for`): the `/v1` envelope
`{"success": false, "error": {code, message, details}, "request_id"}` everywhere (`/v1`, `/connect/v1`, ...), except
pipelines-api (`/api/pipelines`), whose errors are `{"success": false, "code", "message", "details"?, "request_id"}`.
The handlers below and the gateway's middlewares that answer errors directly all render through `error_payload`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from junction_common.logconfig import get_logger
from junction_common.web.envelope import ApiError, error_body, json_response, request_id_of

log = get_logger("junction_common.web.errors")

_HTTP_CODES = {401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "NOT_FOUND", 429: "RATE_LIMITED"}


# Path prefix -> error shape; a path under none of them answers in the `/v1` envelope.
_SHAPES: tuple[tuple[str, str], ...] = (("/api/pipelines", "pipelines"),)
V1, PIPELINES = "v1", "pipelines"


def shape_for(path: str) -> str:
    """The error shape of the API `path` belongs to: `"pipelines"` or `"v1"`."""
    for prefix, shape in _SHAPES:
        if path == prefix or path.startswith(prefix + "/"):
            return shape
    return V1


def error_payload(path: str, code: str, message: str, details: Any, request_id: str) -> dict[str, Any]:
    """The body of an error answered on `path`, in that API's shape."""
    if shape_for(path) == PIPELINES:
        body: dict[str, Any] = {"success": False, "code": code, "message": message}
        if details:
            body["details"] = details
        body["request_id"] = request_id
        return body
    return error_body(code, message, details, request_id)


def _error(request: Request, code: str, message: str, details: Any, status: int,
           headers: dict[str, str] | None = None) -> Response:
    body = error_payload(request.url.path, code, message, details, request_id_of(request))
    return json_response(body, status, headers)


def json_pointer(loc: tuple[Any, ...]) -> str:
    """`("body", "email")` -> `/email`; query and path parameters keep their location."""
    parts = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"pointer": json_pointer(tuple(err.get("loc", ()))), "message": err.get("msg", ""),
         "type": err.get("type", "")}
        for err in exc.errors()
    ]


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _error(request, exc.code, exc.message, exc.details, exc.status, exc.headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return _error(request, "VALIDATION_ERROR", "The request payload failed schema validation.",
                  _validation_details(exc), 422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:  # an unparseable body: a validation error like any other
        return _error(request, "VALIDATION_ERROR", "The request body is not valid JSON.",
                      [{"pointer": "", "message": str(exc.detail)}], 422)
    code = _HTTP_CODES.get(exc.status_code, "VALIDATION_ERROR" if exc.status_code < 500 else "INTERNAL_ERROR")
    return _error(request, code, str(exc.detail), None, exc.status_code)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled_error")
    return _error(request, "INTERNAL_ERROR", "An unexpected error occurred.", None, 500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

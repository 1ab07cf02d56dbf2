"""Exception handlers: every error leaves in the documented shape, validation errors with JSON pointers."""

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
    body = error_body(exc.code, exc.message, exc.details, request_id_of(request))
    return json_response(body, exc.status, exc.headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = _validation_details(exc)
    body = error_body("VALIDATION_ERROR", "The request payload failed schema validation.", details,
                      request_id_of(request))
    return json_response(body, 422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:  # an unparseable body: a validation error like any other
        body = error_body("VALIDATION_ERROR", "The request body is not valid JSON.",
                          [{"pointer": "", "message": str(exc.detail)}], request_id_of(request))
        return json_response(body, 422)
    code = _HTTP_CODES.get(exc.status_code, "VALIDATION_ERROR" if exc.status_code < 500 else "INTERNAL_ERROR")
    body = error_body(code, str(exc.detail), None, request_id_of(request))
    return json_response(body, exc.status_code)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled_error")
    body = error_body("INTERNAL_ERROR", "An unexpected error occurred.", None, request_id_of(request))
    return json_response(body, 500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

"""pipelines-api.txt answers in its own shapes, errors included: `{"success": false, "code", "message"}` (the
counterpart of its documented `{"success": true, "message": ...}`), `details` when there are any; never the `/v1`
envelope. A router of that reference uses `PipelinesRoute`, so its errors leave in that shape."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from junction_common.web.envelope import ERROR_STATUS, ApiError, json_response
from junction_common.web.errors import json_pointer


def pipelines_error(code: str, message: str, status: int | None = None, details: Any = None) -> Response:
    body: dict[str, Any] = {"success": False, "code": code, "message": message}
    if details:
        body["details"] = details
    return json_response(body, status or ERROR_STATUS.get(code, 400))


def _invalid(exc: RequestValidationError) -> Response:
    details = [{"pointer": json_pointer(tuple(err.get("loc", ()))), "message": err.get("msg", "")}
               for err in exc.errors()]
    return pipelines_error("VALIDATION_ERROR", "The request failed validation.", 422, details)


class PipelinesRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await handle(request)
            except ApiError as exc:
                return pipelines_error(exc.code, exc.message, exc.status, exc.details)
            except RequestValidationError as exc:
                return _invalid(exc)

        return handler

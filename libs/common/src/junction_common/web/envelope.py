"""Response envelopes: `{success, data, meta, request_id, next_cursor}` and the error shape."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response

ERROR_STATUS = {
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "VALIDATION_ERROR": 422,
    "IDEMPOTENCY_CONFLICT": 422,
    "RATE_LIMITED": 429,
    "INTERNAL_ERROR": 500,
    "NOT_IMPLEMENTED": 501,
    "SERVICE_UNAVAILABLE": 503,
}


class ApiError(Exception):
    """An error answered in the documented error shape."""

    def __init__(
        self, code: str, message: str, details: Any = None, status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details
        self.status = status or ERROR_STATUS.get(code, 400)
        self.headers = headers or {}


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), default=str).encode()


def ok_body(data: Any, request_id: str, meta: dict[str, Any] | None = None,
            next_cursor: str | None = None) -> dict[str, Any]:
    return {"success": True, "data": data, "meta": meta or {}, "request_id": request_id,
            "next_cursor": next_cursor}


def error_body(code: str, message: str, details: Any, request_id: str) -> dict[str, Any]:
    return {"success": False, "error": {"code": code, "message": message, "details": details},
            "request_id": request_id}


def json_response(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body), status_code=status, media_type="application/json", headers=headers)


def request_id_of(request: Request) -> str:
    """The request id of this call (the gateway mints or accepts it; an internal call carries the gateway's)."""
    return getattr(request.state, "request_id", "") or ""

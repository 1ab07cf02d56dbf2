"""The error shape as an OpenAPI model, and the error responses every route documents."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorEnvelope(BaseModel):
    """The documented error shape."""

    success: Literal[False] = False
    error: ErrorDetail
    request_id: str


_DESCRIPTIONS = {
    401: "A valid bearer token is required.",
    403: "The token does not include the scope required for this operation.",
    404: "The resource could not be found in this workspace.",
    409: "A request with this idempotency key is still in progress.",
    413: "The request body is too large.",
    415: "The request body must be JSON.",
    422: "The request payload failed schema validation, or the idempotency key was reused with another body.",
    429: "The workspace exceeded the current rate limit.",
    503: "Kafka or the database is unreachable; nothing was changed. Retry after Retry-After seconds with the "
    "same Idempotency-Key.",
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": text} for status, text in _DESCRIPTIONS.items()
}

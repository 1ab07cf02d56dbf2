"""Request hygiene before any route runs: body size, JSON depth, content type, query keys, headers.

Refusals use the documented error shape of the path's API (`errors.error_payload`) and change nothing.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from junction_common.web.errors import error_payload

MAX_JSON_DEPTH = 32
# A \uXXXX escape of half a surrogate pair: such text cannot be stored or sent as UTF-8.
_LONE_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


def json_depth_exceeds(raw: bytes, limit: int) -> bool:
    """True when brackets nest deeper than `limit` (strings are skipped), without parsing."""
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


# Meta's webhook URL verification parameters (a provider webhook handshake, connections) are dotted by design.
_DOTTED_ALLOWED = frozenset({"hub.mode", "hub.verify_token", "hub.challenge"})


def bad_query_keys(query_string: bytes) -> list[str]:
    """Query keys that try to smuggle operators or structure (`status[$ne]`, `$where`)."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return [k for k, _ in pairs
            if "[" in k or "]" in k or k.startswith("$") or ("." in k and k not in _DOTTED_ALLOWED)]


class SafetyMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app, self.max_body = app, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        bad = bad_query_keys(scope.get("query_string", b""))
        if bad:
            details = [{"pointer": f"/query/{k}", "message": "operators and nested keys are not allowed"}
                       for k in bad]
            await _refuse(scope, send, 422, "VALIDATION_ERROR", "The query string is invalid.", details)
            return
        if scope["method"] not in ("POST", "PUT", "PATCH") or _is_asset_upload(scope):
            await self.app(scope, receive, send)
            return
        body = await self._read(receive)
        if body is None:
            message = f"The request body exceeds {self.max_body} bytes."
            await _refuse(scope, send, 413, "VALIDATION_ERROR", message, None)
            return
        problem = _body_problem(scope, body)
        if problem is not None:
            await _refuse(scope, send, *problem)
            return
        await self.app(scope, _replay(body), send)

    async def _read(self, receive: Receive) -> bytes | None:
        chunks, size = [], 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _is_asset_upload(scope: Scope) -> bool:
    """Asset bytes go to their signed upload URL, which enforces its own size limit."""
    path: str = scope.get("path", "")
    return scope["method"] == "PUT" and path.startswith("/v1/assets/") and path.endswith("/upload")


# importTableRows (connect-api.txt) also takes a CSV file as it is: `text/csv` for that operation alone, size-limited
# like every body (`max_body_bytes`, 413 over it); the sync service reads it row by row.
_CSV_IMPORT = re.compile(r"^/connect/v1/tables/[^/]+/import$")


def _csv_import(scope: Scope, ctype: bytes) -> bool:
    return ctype == b"text/csv" and scope["method"] == "POST" and bool(_CSV_IMPORT.match(scope.get("path", "")))


def _body_problem(scope: Scope, body: bytes) -> tuple[int, str, str, Any] | None:
    if not body.strip():
        return None
    headers = dict(scope.get("headers", []))
    ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if _csv_import(scope, ctype):
        return None
    if ctype != b"application/json" and not ctype.endswith(b"+json"):
        return 415, "VALIDATION_ERROR", "Content-Type must be application/json.", None
    if json_depth_exceeds(body, MAX_JSON_DEPTH):
        return 422, "VALIDATION_ERROR", f"JSON nests deeper than {MAX_JSON_DEPTH} levels.", None
    if _LONE_SURROGATE.search(body):
        return 422, "VALIDATION_ERROR", "Strings must be valid Unicode (no unpaired surrogate escapes).", None
    return None


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


def _with_security_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            existing = {k.lower() for k, _ in message.get("headers", [])}
            message["headers"] = [*message.get("headers", []),
                                  *[(k, v) for k, v in SECURITY_HEADERS if k not in existing]]
        await send(message)

    return wrapped


async def _refuse(scope: Scope, send: Send, status: int, code: str, message: str, details: Any) -> None:
    request_id = scope.get("state", {}).get("request_id", "")
    payload = json.dumps(error_payload(scope.get("path", ""), code, message, details, request_id)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})

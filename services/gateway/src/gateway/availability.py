"""Kafka and the database as dependencies of the edge: bounded waits, a breaker, and 503 + Retry-After.

While either is unreachable the gateway answers within seconds in the error shape instead of holding
connections; a write is never answered 2xx unless Kafka acknowledged its command.
"""

from __future__ import annotations

import asyncio
import time

from pymongo.errors import AutoReconnect, ConnectionFailure, ServerSelectionTimeoutError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from junction_common.logconfig import get_logger
from junction_common.web.envelope import ApiError, json_response
from junction_common.web.errors import error_payload

log = get_logger("gateway.availability")

# pymongo's ConnectionFailure covers AutoReconnect, NetworkTimeout and ServerSelectionTimeoutError.
DATABASE_ERRORS = (ConnectionFailure,)


def unavailable(what: str, retry_after_s: int) -> ApiError:
    """The 503 answered while `what` ("Kafka", "the database") cannot be reached."""
    return ApiError(
        "SERVICE_UNAVAILABLE",
        f"{what} is unreachable; nothing was changed. Retry after {retry_after_s} s with the same Idempotency-Key.",
        {"dependency": what, "retry_after_s": retry_after_s}, status=503,
        headers={"Retry-After": str(retry_after_s)},
    )


class PublishBreaker:
    """Opens for `open_s` after a failed publish, so writes fail fast instead of each waiting the timeout.

    After that it is half open: one write at a time tries Kafka (the others are refused at once) until one
    is acknowledged.
    """

    def __init__(self, open_s: float) -> None:
        self.open_s = open_s
        self._open_until = 0.0
        self.failures = 0
        self._trying = False

    @property
    def open(self) -> bool:
        return time.monotonic() < self._open_until or (self.failures > 0 and self._trying)

    def trying(self) -> None:
        """A publish starts; while half open it is the one trial."""
        self._trying = self.failures > 0

    def abandoned(self) -> None:
        self._trying = False

    def failed(self) -> None:
        self.failures += 1
        self._trying = False
        self._open_until = time.monotonic() + self.open_s

    def succeeded(self) -> None:
        self.failures = 0
        self._trying = False
        self._open_until = 0.0

    @property
    def healthy(self) -> bool:
        """No publish has failed since the last one that succeeded."""
        return self.failures == 0


async def tcp_reachable(bootstrap: str, timeout_s: float = 1.0) -> bool:
    """True when any bootstrap address accepts a TCP connection within `timeout_s`."""
    for address in bootstrap.split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host.strip("[]"), int(port)), timeout_s)
        except (OSError, TimeoutError, ValueError):
            continue
        writer.close()
        return True
    return False


class DependencyErrors:
    """ASGI middleware: an unreachable database answers 503 + Retry-After in the error shape, not 500.

    A transient AutoReconnect on a GET/HEAD is retried once first (before anything was sent); a write is
    never re-run here (its own path decides what a lost database call means).
    """

    def __init__(self, app: ASGIApp, retry_after_s: int = 5) -> None:
        self.app, self.retry_after_s = app, retry_after_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        safe = scope.get("method") in ("GET", "HEAD")
        for attempt in (1, 2):
            try:
                await self.app(scope, receive, tracking_send)
                return
            except DATABASE_ERRORS as exc:
                if started:
                    raise
                transient = isinstance(exc, AutoReconnect) and not isinstance(exc, ServerSelectionTimeoutError)
                if safe and transient and attempt == 1:
                    log.warning("database_reconnect_retried", error=type(exc).__name__)
                    continue
                log.warning("database_unavailable", error=type(exc).__name__, path=scope.get("path"))
                await self._unavailable(scope, receive, send)
                return

    async def _unavailable(self, scope: Scope, receive: Receive, send: Send) -> None:
        err = unavailable("The database", self.retry_after_s)
        request_id = str(scope.get("state", {}).get("request_id", ""))
        body = error_payload(scope.get("path", ""), err.code, err.message, err.details, request_id)
        await json_response(body, err.status, err.headers)(scope, receive, send)

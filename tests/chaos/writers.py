"""A steady stream of `POST /v1/contacts` from clients that retry as real ones do.

Each write has its own Idempotency-Key and a unique name; its client retries failures, 409s (its own
earlier try still in flight), 429s, 503s and timeouts with the same key, honouring Retry-After, for up to
`give_up_s` after its first try; each try times out after `timeout_s`. Every try is recorded.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

RETRY_STATUSES = {409, 429, 500, 502, 503, 504}
TAIL_INTERVAL_S = 1.0  # after the burst, one write a second shows when writes succeed again


@dataclass
class Attempt:
    sent_at: float  # monotonic
    elapsed_s: float
    status: int | None  # None: no answer (timeout, connection refused or reset)
    error: str = ""
    retry_after: str | None = None


@dataclass
class Write:
    index: int
    key: str
    name: str
    attempts: list[Attempt] = field(default_factory=list)
    accepted_at: float | None = None  # monotonic time of the first 2xx
    accepted_status: int | None = None
    resource_id: str | None = None
    rejected: str = ""  # a 4xx the client does not retry (a bug in the client or the gateway)

    @property
    def accepted(self) -> bool:
        return self.accepted_at is not None


@dataclass
class WriteStream:
    """`count` writes, one every 1/`rate` s from `started_at`, against one gateway and workspace."""

    url: str
    api_key: str
    run: str
    count: int
    rate: float
    timeout_s: float = 30.0
    give_up_s: float = 180.0
    writes: list[Write] = field(default_factory=list)
    started_at: float = 0.0

    async def run_all(self, extend_until: asyncio.Event | None = None) -> list[Write]:
        """Send the writes; with `extend_until`, keep sending one a second after `count` until it is set."""
        self.started_at = time.monotonic()
        connector = aiohttp.TCPConnector(limit=0)  # each write is its own client
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            tasks = []
            while len(self.writes) < self.count or (extend_until is not None and not extend_until.is_set()):
                await asyncio.sleep(max(0.0, self._due(len(self.writes)) - time.monotonic()))
                i = len(self.writes)
                write = Write(i, f"{self.run}-{i}", f"Chaos {self.run} {i}")
                self.writes.append(write)
                tasks.append(asyncio.create_task(self._one(http, write)))
            await asyncio.gather(*tasks)
        return self.writes

    def _due(self, i: int) -> float:
        if i < self.count:
            return self.started_at + i / self.rate
        return self.started_at + self.count / self.rate + (i - self.count) * TAIL_INTERVAL_S

    async def _one(self, http: aiohttp.ClientSession, write: Write) -> None:
        first = time.monotonic()
        headers = {"Authorization": f"Bearer {self.api_key}", "Idempotency-Key": write.key}
        body = {"name": write.name, "email": f"{write.key}@chaos.example.com"}
        while time.monotonic() - first < self.give_up_s:
            attempt, payload = await self._try(http, headers, body)
            write.attempts.append(attempt)
            if attempt.status is not None and 200 <= attempt.status < 300:
                write.accepted_at, write.accepted_status = time.monotonic(), attempt.status
                data = payload.get("data") or {}
                write.resource_id = data.get("id") or data.get("resource_id")
                return
            if attempt.status is not None and attempt.status not in RETRY_STATUSES:
                write.rejected = f"{attempt.status}: {payload}"
                return
            await asyncio.sleep(_pause(attempt, payload))

    async def _try(self, http: aiohttp.ClientSession, headers: dict[str, str],
                   body: dict[str, str]) -> tuple[Attempt, dict[str, Any]]:
        sent = time.monotonic()
        try:
            async with http.post(f"{self.url}/v1/contacts", json=body, headers=headers) as resp:
                try:
                    payload = await resp.json()
                except (aiohttp.ContentTypeError, ValueError):
                    payload = {}
                return Attempt(sent, time.monotonic() - sent, resp.status,
                               retry_after=resp.headers.get("Retry-After")), payload
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return Attempt(sent, time.monotonic() - sent, None, error=type(exc).__name__), {}


def _pause(attempt: Attempt, payload: dict[str, Any]) -> float:
    """Retry-After when given (capped), else a second."""
    if attempt.retry_after:
        try:
            return min(max(float(attempt.retry_after), 0.2), 30.0)
        except ValueError:
            pass
    details = (payload.get("error") or {}).get("details") or {}
    if isinstance(details, dict) and "retry_after" in details:
        return min(float(details["retry_after"]), 30.0)
    return 1.0

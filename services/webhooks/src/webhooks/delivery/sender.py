"""One signed HTTP attempt with aiohttp: pooled connections, pinned addresses, no redirects, bounded time."""

from __future__ import annotations

import time
from dataclasses import dataclass

import aiohttp

from junction_common.webhook_signing import signature_header
from webhooks.delivery.address_policy import AddressPolicy, PinnedResolver, UnsafeTarget

USER_AGENT = "Junction-Webhooks/1.0"


@dataclass(frozen=True)
class AttemptResult:
    at: float
    latency_ms: float
    status: int | None
    body: str
    retry_after: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def as_log(self) -> dict[str, object]:
        return {"at": self.at, "status_code": self.status, "latency_ms": round(self.latency_ms, 1),
                "response_body": self.body, "error": self.error}


class Sender:
    def __init__(self, policy: AddressPolicy, timeout_s: float, body_limit: int) -> None:
        self.policy, self.timeout_s, self.body_limit = policy, timeout_s, body_limit
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(resolver=PinnedResolver(self.policy), limit=0, limit_per_host=0,
                                             ttl_dns_cache=None, use_dns_cache=False, keepalive_timeout=30)
            # No cookie jar: a receiver's cookies must never ride along with another workspace's delivery.
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False,
                                                  cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
                                                  timeout=aiohttp.ClientTimeout(total=self.timeout_s))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, url: str, msg_id: str, body: bytes, keys: list[bytes]) -> AttemptResult:
        at = time.time()
        headers = {"content-type": "application/json", "user-agent": USER_AGENT, "webhook-id": msg_id,
                   "webhook-timestamp": str(int(at)),
                   "webhook-signature": signature_header(keys, msg_id, int(at), body)}
        start = time.monotonic()
        try:
            self.policy.check_literal(url)  # aiohttp does not ask the resolver about IP literals
            async with self.session().post(url, data=body, headers=headers, allow_redirects=False) as resp:
                raw = await resp.content.read(self.body_limit)
                return AttemptResult(at, (time.monotonic() - start) * 1000, resp.status,
                                     raw.decode("utf-8", errors="replace"), resp.headers.get("Retry-After"))
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError, UnsafeTarget) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
            return AttemptResult(at, (time.monotonic() - start) * 1000, None, "", error=error)

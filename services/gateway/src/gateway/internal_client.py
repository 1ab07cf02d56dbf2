"""The gateway's calls to services' internal APIs, each signed for its request (see internal_auth)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from gateway.outcome_streams import OutcomeStreams, Refused
from gateway.settings import GatewaySettings
from junction_common.identity import Principal
from junction_common.internal_auth import HEADER, sign
from junction_common.logconfig import get_logger
from junction_common.web.frames import read_frames

Doc = dict[str, Any]
log = get_logger("gateway.internal_client")
_RETRY_PAUSE_S = 0.2
# A service's answer headers the gateway passes on (its own edge headers are set by the gateway).
_RELAYED_HEADERS = frozenset({"content-type", "content-disposition", "location", "cache-control", "retry-after",
                              "etag", "last-modified", "x-hook-secret"})  # Asana's handshake echo
# A service marks any other answer header for its caller as `X-Junction-Relay-<Name>` (a flow's respond-to-webhook
# headers): the gateway unwraps it, except a hop-by-hop one, a cookie, or an edge header the gateway owns.
RELAY_PREFIX = "x-junction-relay-"
_NEVER_UNWRAPPED = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                              "proxy-connection", "te", "trailer", "trailers", "transfer-encoding", "upgrade",
                              "content-length", "content-encoding", "set-cookie", "set-cookie2", "server", "date",
                              "x-content-type-options", "x-frame-options", "referrer-policy",
                              "cross-origin-resource-policy", "cross-origin-opener-policy",
                              "cross-origin-embedder-policy", "strict-transport-security", "content-security-policy",
                              "content-security-policy-report-only", "permissions-policy", "x-xss-protection",
                              "www-authenticate", "x-request-id", "x-trace-id", "traceparent", "tracestate",
                              "idempotent-replayed", "vary", HEADER.lower()})
_NEVER_UNWRAPPED_PREFIXES = ("x-ratelimit-", "access-control-", "x-junction-", "sec-")
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz")


def unwrapped_name(name: str) -> str | None:
    """The caller's header a service's `X-Junction-Relay-<Name>` stands for; None when the gateway owns it."""
    if not name.lower().startswith(RELAY_PREFIX):
        return None
    inner = name[len(RELAY_PREFIX):]
    lowered = inner.lower()
    if (not lowered or not set(lowered) <= _TOKEN or lowered in _NEVER_UNWRAPPED or lowered in _RELAYED_HEADERS
            or lowered.startswith(_NEVER_UNWRAPPED_PREFIXES)):
        return None
    return inner


def relayed_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The answer headers a caller gets: the fixed list as they are, and the ones the service marked to pass."""
    kept: dict[str, str] = {}
    for name, value in headers:
        if name.lower() in _RELAYED_HEADERS:
            kept[name] = value
        elif (inner := unwrapped_name(name)) is not None and not any(c in value for c in "\r\n\0"):
            kept[inner] = value
    return kept


@dataclass(frozen=True)
class Relayed:
    """A service's answer to a forwarded call, as it came."""

    status: int
    body: bytes
    headers: dict[str, str]


class ServiceClient:
    """One pooled HTTP session for every internal call of this gateway process."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None
        self._outcomes: dict[str, OutcomeStreams] = {}

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=256, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False,
                                                  cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    async def close(self) -> None:
        for streams in self._outcomes.values():
            await streams.close()
        if self._session is not None:
            await self._session.close()

    async def get(self, service: str, path: str, request_id: str, principal: Principal | None = None,
                  params: dict[str, str] | None = None, timeout_s: float = 10.0) -> tuple[int, Doc] | None:
        """GET `path` on `service`'s internal API: (status, JSON body), or None when it cannot be reached."""
        return await self.call("GET", service, path, request_id, principal, params=params, timeout_s=timeout_s)

    async def call(self, method: str, service: str, path: str, request_id: str, principal: Principal | None = None,
                   params: dict[str, str] | None = None, body: Doc | None = None,
                   timeout_s: float = 10.0, quiet: bool = False) -> tuple[int, Doc] | None:
        """`method` `path` on `service`'s internal API: (status, JSON body), or None when it cannot be reached."""
        base = self.settings.service_urls.get(service)
        if base is None:
            return None
        headers = {HEADER: sign(self.settings.internal_secret, request_id, method, path, principal),
                   "X-Request-Id": request_id}
        try:
            async with self._http().request(method, base + path, params=params, json=body, headers=headers,
                                            timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:
                answer: Doc = await resp.json(content_type=None)
                return resp.status, answer
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            if not quiet:
                log.warning("internal_call_failed", service=service, path=path, error=type(exc).__name__,
                            unreachable=service)
            return None

    async def relay(self, method: str, service: str, path: str, request_id: str, principal: Principal | None,
                    query: str, body: bytes, content_type: str | None, timeout_s: float,
                    passed: dict[str, str] | None = None) -> Relayed | None:
        """Send a public call on to `service` (at `/internal` + its public path) and keep its answer as it is;
        `passed`: the caller's own headers a principal-less call brings (see forwarding.caller_headers)."""
        base = self.settings.service_urls.get(service)
        if base is None:
            return None
        headers = {**(passed or {}), HEADER: sign(self.settings.internal_secret, request_id, method, path, principal),
                   "X-Request-Id": request_id}
        if content_type:
            headers["Content-Type"] = content_type
        url = base + path + (f"?{query}" if query else "")
        try:
            async with self._http().request(method, url, data=body or None, headers=headers,
                                            timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:
                kept = relayed_headers(resp.headers.items())
                return Relayed(resp.status, await resp.read(), kept)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("internal_call_failed", service=service, path=path, error=type(exc).__name__,
                        unreachable=service)
            return None

    async def awaited_outcome(self, service: str, command_id: str, collection: str | None, timeout_s: float,
                              view: str | None = None) -> Doc | None:
        """The outcome (with `resource` once readable) or None if pending after `timeout_s`, asked for together
        with this process's other writes to `service` (see outcome_streams)."""
        streams = self._outcomes.get(service)
        if streams is None:
            streams = self._outcomes[service] = OutcomeStreams(service, self.stream_outcomes)
        return await streams.wait(command_id, collection, view, timeout_s)

    async def stream_outcomes(self, service: str, waits: list[Doc], request_id: str,
                              timeout_s: float) -> AsyncIterator[Doc]:
        """`service`'s answers to many writes' long polls, each as it lands (raises when it cannot be reached)."""
        base = self.settings.service_urls.get(service)
        if base is None:
            raise LookupError(f"no internal URL for {service}")
        path = "/internal/commands"
        headers = {HEADER: sign(self.settings.internal_secret, request_id, "POST", path, None),
                   "X-Request-Id": request_id}
        async with self._http().post(base + path, json={"waits": waits}, headers=headers,
                                     timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:
            if 400 <= resp.status < 500:
                raise Refused(f"{resp.status}: {(await resp.read())[:200]!r}")
            if resp.status != 200:
                raise aiohttp.ClientResponseError(resp.request_info, resp.history, status=resp.status)
            async for answer in read_frames(resp.content):
                yield answer

    async def command_outcome(self, service: str, command_id: str, collection: str | None, timeout_s: float,
                              request_id: str, view: str | None = None) -> Doc | None:
        """The owning service's long poll: the outcome (with `resource` once readable), or None if pending.

        While the service cannot be reached (restarting, say) the poll is tried again until `timeout_s` has
        passed, so a service back within the wait still gets its caller a 201 rather than a 202.
        """
        deadline = time.monotonic() + max(timeout_s, 0.0)
        path = f"/internal/commands/{quote(command_id, safe='')}"
        while True:
            remaining = max(deadline - time.monotonic(), 0.0)
            params = {"timeout_s": f"{remaining:.3f}"}
            if collection is not None:
                params["collection"] = collection
            if view is not None:
                params["view"] = view
            answer = await self.call("GET", service, path, request_id, params=params, timeout_s=remaining + 5.0,
                                     quiet=True)
            if answer is not None or time.monotonic() + _RETRY_PAUSE_S >= deadline:
                break
            await asyncio.sleep(_RETRY_PAUSE_S)
        if answer is None:
            log.warning("internal_call_failed", service=service, path=path, unreachable=service)
            return None
        if answer[0] != 200 or "outcome" not in answer[1] or answer[1].get("status") == "pending":
            return None
        body = answer[1]
        return {**body["outcome"], **({"resource": body["resource"]} if "resource" in body else {})}

"""The HTTP request step: aiohttp, pooled, behind the address policy (pinned resolver, no redirects), bounded in
time and response size; the attempt's idempotency key travels as `Idempotency-Key`. A 2xx answer is the step's
output `{status, headers, body}` (JSON parsed when it is JSON); anything else is a StepError of a kind the retry
policy names (timeout, network, http_429, http_5xx, http_4xx)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import aiohttp

from flows.steps.errors import StepError, status_kind
from junction_common.address_policy import AddressPolicy, PinnedResolver, UnsafeTarget

USER_AGENT = "Junction-Flows/1.0"
BODY_LIMIT = 1_000_000
CHECKED_URLS = 1024


def parsed(raw: bytes, content_type: str) -> Any:
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


class HttpSteps:
    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self._session: aiohttp.ClientSession | None = None
        # The policy's check of a URL's form and literal address: a pure function of the URL under this step's
        # fixed policy, so a URL admitted once is not parsed again (a flow calls the same few URLs; a refused one
        # raises and is not remembered); the resolver still checks every address a host name resolves to.
        self.check = lru_cache(maxsize=CHECKED_URLS)(policy.check_literal)

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(resolver=PinnedResolver(self.policy), limit=256, limit_per_host=0,
                                             ttl_dns_cache=None, use_dns_cache=False, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False,
                                                  cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def request(self, config: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        url = str(config["url"])
        headers = {"user-agent": USER_AGENT, **{str(k): str(v) for k, v in (config.get("headers") or {}).items()},
                   "Idempotency-Key": idempotency_key}
        body = config.get("body")
        options: dict[str, Any] = {"headers": headers, "params": config.get("query") or None,
                                   "allow_redirects": False,
                                   "timeout": aiohttp.ClientTimeout(total=float(config.get("timeout_s") or 30))}
        if body is not None:
            options["data" if isinstance(body, str) else "json"] = body
        try:
            self.check(url)
            async with self.session().request(str(config.get("method") or "GET"), url, **options) as resp:
                raw = await resp.content.read(BODY_LIMIT)
                answer = {"status": resp.status, "headers": {k.lower(): v for k, v in resp.headers.items()},
                          "body": parsed(raw, resp.headers.get("content-type", ""))}
        except UnsafeTarget as exc:
            raise StepError("address", "UNSAFE_TARGET", str(exc)) from exc
        except TimeoutError as exc:
            raise StepError("timeout", "TIMEOUT", f"no answer from {url} in time") from exc
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            raise StepError("network", "NETWORK_ERROR", f"{type(exc).__name__}: {exc}"[:500]) from exc
        if not 200 <= answer["status"] < 300:
            raise StepError(status_kind(answer["status"]), f"HTTP_{answer['status']}",
                            f"{url} answered {answer['status']}", {"status": answer["status"],
                                                                    "body": answer["body"]})
        return answer

"""The provider proxy (`POST /connect/v1/proxy/:providerType`): a call relative to a connected provider's API,
made with the workspace's credential, answered with the provider's status, safe headers and body.

- The workspace's connection of the provider (the live one `connectionId` names, a variant say, else its latest
  live one) must be CONNECTED; its sealed credential is opened here and only here.
  `connections.requests.build_request` builds the call: the host cannot change, the caller's headers are
  allow-listed, the credential goes where the manifest says.
- OAuth connections use their access token through `RefreshCoordinator.ensure_fresh` (one refresh at a time per
  variant group, else per connection, across replicas), refreshed when expiring, and once more with `rejected=`
  when the provider answers 401; a refresh token the provider refuses marks the connection ERROR.
- Sent through the service's pooled aiohttp session (its resolver applies the address policy; the URL is checked
  first too, so an IP literal is refused as well), no redirect followed, each attempt under the provider timeout
  and the whole call under `proxy_deadline_s`; the answer is read up to `proxy_max_response_bytes`.
- 429 and 5xx (and unreachable) are retried on idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS), up to
  `proxy_max_retries`, after the provider's Retry-After (capped at `proxy_retry_after_cap_s`) or a jittered
  exponential backoff.
- The manifest's `rate_limit` is kept per connection by a token bucket in this process (each replica keeps its
  own: N replicas may together send up to N times the rate).
- Every call with a connection leaves one audit row in this service's collection `proxy_calls` (method, path
  without its query, status, latency, attempts, error code): never the credential, a header value or a body.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from yarl import URL

from connections.app import providers
from connections.app.oauth_flow import OAuthFlow, token_fields
from connections.app.operations import Call, Connections
from connections.app.provider_test import ProviderTester
from connections.catalogue.facts import credential_fields
from connections.catalogue.index import Catalogue
from connections.catalogue.manifest import Manifest, OAuth2Auth, RateLimit
from connections.oauth.refresh_lock import RefreshCoordinator, RefreshLeases
from connections.oauth.tokens import OAuthError, TokenClient, TokenRequestFailed, Tokens
from connections.requests import Credential, PreparedRequest, ProviderRequest, RequestRefused, build_request
from connections.settings import ConnectionsSettings
from connections_contracts import connection as cx
from connections_contracts.proxy import AUDIT_COLLECTION, IDEMPOTENT, ProxyBody
from junction_common.address_policy import UnsafeTarget
from junction_common.ids import new_ulid
from junction_common.logconfig import get_logger
from junction_common.web.envelope import ApiError

log = get_logger(__name__)
Doc = dict[str, Any]
LEASES_COLLECTION = "oauth_refresh_leases"
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
OAUTH_KEEP = ("client_id", "client_secret")
NOT_FIELDS = frozenset({"access_token", "refresh_token", "expires_at", "scopes", "token_type", "oauth_state",
                        "pkce_verifier"})
# The provider's answer headers relayed to the caller; never a cookie, an authentication challenge or hop-by-hop.
SAFE_HEADERS = frozenset({
    "content-type", "content-language", "content-disposition", "content-range", "accept-ranges", "etag",
    "last-modified", "cache-control", "expires", "retry-after", "link", "location", "x-request-id", "request-id",
    "x-total-count",
})
SAFE_PREFIXES = ("x-ratelimit-", "ratelimit-", "x-rate-limit-")


class TokenBucket:
    """A token bucket per key (a connection), refilled at `requests / per_seconds`; in this process only."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def reserve(self, key: str, limit: RateLimit) -> float:
        """Take one token; the seconds to wait before using it (0 when one was there)."""
        rate = limit.requests / limit.per_seconds
        now = self._clock()
        tokens, last = self._buckets.get(key, (float(limit.requests), now))
        tokens = min(float(limit.requests), tokens + (now - last) * rate) - 1
        self._buckets[key] = (tokens, now)
        return 0.0 if tokens >= 0 else -tokens / rate

    def give_back(self, key: str) -> None:
        tokens, last = self._buckets[key]
        self._buckets[key] = (tokens + 1, last)


class _TooLarge(Exception):
    pass


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class _Audit:
    attempts: int = 0
    status: int | None = None
    error: str | None = None
    refreshed: bool = False
    extra: Doc = field(default_factory=dict)


def safe_headers(headers: list[tuple[str, str]]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for name, value in headers:
        low = name.lower()
        if low in SAFE_HEADERS or low.startswith(SAFE_PREFIXES):
            kept[low] = f"{kept[low]}, {value}" if low in kept else value
    return kept


def retry_after_s(value: str | None) -> float | None:
    """Retry-After as seconds (a number or an HTTP date), None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def credential_of(manifest: Manifest, opened: Mapping[str, Any], access_token: str | None = None,
                  client_id: str | None = None) -> Credential:
    """The connection's opened values as a `Credential`: declared non-secret fields apart, anything else secret."""
    public = {f.name for f in credential_fields(manifest) if not f.secret}
    fields: dict[str, str] = {}
    secrets: dict[str, str] = {}
    for name, value in opened.items():
        if not isinstance(value, str) or name in NOT_FIELDS:
            continue
        (fields if name in public else secrets)[name] = value
    if client_id and "client_id" not in fields:
        fields["client_id"] = client_id
    return Credential(fields=fields, secrets=secrets, access_token=access_token)


def tokens_of(opened: Mapping[str, Any]) -> Tokens:
    expires = opened.get("expires_at")
    scopes = opened.get("scopes")
    return Tokens(access_token=str(opened.get("access_token") or ""), refresh_token=opened.get("refresh_token"),
                  expires_at=datetime.fromisoformat(expires) if expires else None,
                  scopes=tuple(scopes) if scopes is not None else None,
                  token_type=str(opened.get("token_type") or "Bearer"))


def body_bytes(body: ProxyBody) -> tuple[bytes | None, bool]:
    """The body to send, and whether it is JSON (a string is sent as is, anything else as JSON)."""
    if body.body is None:
        return None, False
    if isinstance(body.body, str):
        return body.body.encode(), False
    return json.dumps(body.body, separators=(",", ":")).encode(), True


def decoded(answer: Answer) -> Any:
    """The provider's body: parsed when JSON, else text (undecodable bytes replaced); None when empty."""
    if not answer.body:
        return None
    content_type = next((v for n, v in answer.headers if n.lower() == "content-type"), "").lower()
    if "json" in content_type:
        with contextlib.suppress(ValueError):
            return json.loads(answer.body)
    return answer.body.decode("utf-8", errors="replace")


class Proxy:
    def __init__(self, catalogue: Catalogue, connections: Connections, flow: OAuthFlow,
                 settings: ConnectionsSettings) -> None:
        self.catalogue, self.connections, self.flow, self.settings = catalogue, connections, flow, settings
        db = connections.runtime.db
        self.audit = db[AUDIT_COLLECTION]
        self.bucket = TokenBucket()
        lease_s = max(30.0, 2 * settings.provider_timeout_s)
        self.refresh = RefreshCoordinator(RefreshLeases(db, collection=LEASES_COLLECTION, lease_s=lease_s))

    @property
    def tester(self) -> ProviderTester:
        return self.connections.runtime.component(ProviderTester)

    async def call(self, call: Call, provider_type: str, body: ProxyBody) -> Doc:
        """The provider's answer as `{status, headers, body}`; an ApiError when it could not be made."""
        manifest = providers.provider_of(self.catalogue, provider_type)
        doc = await self._connection(call.workspace_id, manifest.type, body.connectionId)
        if doc is None:
            raise ApiError("NOT_FOUND", "The provider is not connected: connect it first.", {"type": manifest.type})
        if doc.get("status") != cx.CONNECTED:
            raise ApiError("NOT_CONNECTED", f"The {manifest.type} connection is {doc.get('status')}: connect it "
                           "again.", {"type": manifest.type, "connectionId": doc["_id"], "status": doc.get("status")},
                           status=409)
        started, audit = time.monotonic(), _Audit()
        try:
            answer = await self._call(call, manifest, doc, body, started + self.settings.proxy_deadline_s, audit)
            audit.status = answer.status
        except ApiError as exc:
            audit.error = exc.code if not isinstance(exc.details, dict) or "reason" not in exc.details \
                else f"{exc.code}:{exc.details['reason']}"
            raise
        finally:
            await self._record(call, manifest, doc, body, audit, started)
        data: Doc = {"status": answer.status, "headers": safe_headers(answer.headers), "body": decoded(answer)}
        return data

    async def _connection(self, workspace_id: str, provider: str, connection_id: str | None) -> Doc | None:
        """The connection named (if it is a live one of this provider), else the workspace's latest of it."""
        if connection_id is None:
            return await self.connections.of_provider(workspace_id, provider)
        doc = await self.connections.db.find_one({"_id": connection_id, "workspace_id": workspace_id})
        return dict(doc) if doc is not None and doc.get("provider") == provider and not doc.get("deleted") else None

    async def _call(self, call: Call, manifest: Manifest, doc: Doc, body: ProxyBody, deadline: float,
                    audit: _Audit) -> Answer:
        opened = self.connections.open(doc)
        payload, is_json = body_bytes(body)
        headers = dict(body.headers or {})
        if is_json and not any(n.lower() == "content-type" for n in headers):
            headers["Content-Type"] = "application/json"
        request = ProviderRequest(method=body.method, path=body.path, query=body.query or {}, headers=headers,
                                  body=payload)
        auth = manifest.auth
        if not isinstance(auth, OAuth2Auth):
            return await self._send_all(manifest, doc, self._build(manifest, credential_of(manifest, opened), request),
                                        deadline, audit)
        client_id = self.flow.client_for(manifest, opened).client_id
        tokens = await self._fresh(call, manifest, auth, doc, None)
        credential = credential_of(manifest, opened, tokens.access_token, client_id)
        answer = await self._send_all(manifest, doc, self._build(manifest, credential, request), deadline, audit)
        if answer.status != 401:
            return answer
        audit.refreshed = True
        tokens = await self._fresh(call, manifest, auth, doc, tokens)
        credential = credential_of(manifest, opened, tokens.access_token, client_id)
        return await self._send_all(manifest, doc, self._build(manifest, credential, request), deadline, audit)

    def _build(self, manifest: Manifest, credential: Credential, request: ProviderRequest) -> PreparedRequest:
        try:
            return build_request(manifest, credential, request)
        except RequestRefused as exc:
            raise ApiError("VALIDATION_ERROR", f"The request cannot be proxied: {exc}",
                           {"reason": exc.reason, "pointer": "/path" if "path" in exc.reason else None}) from None

    # -- sending

    async def _send_all(self, manifest: Manifest, doc: Doc, prepared: PreparedRequest, deadline: float,
                        audit: _Audit) -> Answer:
        try:
            await self.tester.policy.check(prepared.url)
        except UnsafeTarget as exc:
            raise ApiError("VALIDATION_ERROR", f"The provider's address is not allowed: {exc}",
                           {"reason": "address_refused", "host": prepared.host}) from None
        idempotent = prepared.method in IDEMPOTENT
        retries = self.settings.proxy_max_retries if idempotent else 0
        for attempt in range(1, retries + 2):
            audit.attempts += 1
            await self._take(doc["_id"], manifest.rate_limit, deadline)
            last = attempt > retries
            try:
                answer = await self._send(prepared, deadline)
            except _TooLarge:
                raise ApiError("PROVIDER_RESPONSE_TOO_LARGE", "The provider's answer is larger than the proxy "
                               "relays.", {"limit_bytes": self.settings.proxy_max_response_bytes}, status=502) from None
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                delay = self._backoff(attempt)
                if last or time.monotonic() + delay >= deadline - 1:
                    log.info("proxy_unreachable", provider=manifest.type, error=type(exc).__name__)
                    raise ApiError("PROVIDER_UNAVAILABLE", f"The provider could not be reached "
                                   f"({type(exc).__name__}).", status=502) from None
                await asyncio.sleep(delay)
                continue
            if answer.status not in RETRIED_STATUSES or last:
                return answer
            after = retry_after_s(next((v for n, v in answer.headers if n.lower() == "retry-after"), None))
            cap = self.settings.proxy_retry_after_cap_s
            delay = min(cap, after) * random.uniform(1.0, 1.1) if after is not None else self._backoff(attempt)
            if time.monotonic() + delay >= deadline - 1:
                return answer
            log.info("proxy_retry", provider=manifest.type, status=answer.status, delay_s=round(delay, 3))
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        """Full jitter over an exponential base (0.25 s, 0.5 s, 1 s, ...), capped like Retry-After."""
        return random.uniform(0.05, min(self.settings.proxy_retry_after_cap_s, 0.25 * 2 ** (attempt - 1)))

    async def _take(self, connection_id: str, limit: RateLimit | None, deadline: float) -> None:
        """Keep to the provider's rate limit for this connection: wait a little, else refuse with 429."""
        if limit is None:
            return
        wait = self.bucket.reserve(connection_id, limit)
        if wait <= 0:
            return
        if wait > self.settings.proxy_rate_wait_s or time.monotonic() + wait >= deadline:
            self.bucket.give_back(connection_id)
            retry = max(1, math.ceil(wait))
            raise ApiError("RATE_LIMITED", "The provider's rate limit for this connection is reached: retry later.",
                           {"retry_after_s": retry, "reason": "provider_rate_limit"},
                           headers={"Retry-After": str(retry)})
        await asyncio.sleep(wait)

    async def _send(self, prepared: PreparedRequest, deadline: float) -> Answer:
        remaining = max(0.1, min(self.settings.provider_timeout_s, deadline - time.monotonic()))
        cap = self.settings.proxy_max_response_bytes
        async with self.tester.http.request(prepared.method, URL(prepared.url, encoded=True),
                                            headers=dict(prepared.headers), data=prepared.body,
                                            allow_redirects=False,
                                            timeout=aiohttp.ClientTimeout(total=remaining)) as resp:
            if (resp.content_length or 0) > cap:
                raise _TooLarge
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size > cap:
                    raise _TooLarge
                chunks.append(chunk)
            return Answer(resp.status, [(k, v) for k, v in resp.headers.items()], b"".join(chunks))

    # -- OAuth tokens

    async def _fresh(self, call: Call, manifest: Manifest, auth: OAuth2Auth, held: Doc,
                     rejected: Tokens | None) -> Tokens:
        """Usable tokens; one refresh in flight per variant group (its members share one refresh token), else
        per connection. The refreshed tokens reach every member of the group (store_tokens)."""
        connections, workspace_id, connection_id = self.connections, call.workspace_id, str(held["_id"])
        lease_key = str(held.get("variant_group_id") or connection_id)

        async def load_tokens() -> Tokens:
            doc = await connections.find(workspace_id, connection_id)
            if doc.get("status") != cx.CONNECTED or not doc.get("credentials_sealed"):
                raise OAuthError("connection_not_connected", 409, "the connection is no longer connected")
            return tokens_of(connections.open(doc))

        async def refresh_and_store(tokens: Tokens) -> Tokens:
            if not tokens.refresh_token:
                raise OAuthError("invalid_grant", 400, "no refresh token was granted")
            doc = await connections.find(workspace_id, connection_id)
            opened = connections.open(doc)
            client = self.flow.client_for(manifest, opened)
            fresh = await TokenClient(self.tester.http, auth, client,
                                      timeout_s=self.settings.provider_timeout_s).refresh(tokens.refresh_token,
                                                                                          tokens.scopes)
            sealed = {**token_fields(fresh), **{k: opened[k] for k in OAUTH_KEEP if opened.get(k)}}
            names = ["accessToken"] + (["refreshToken"] if fresh.refresh_token else [])
            await connections.store_tokens(Call(call.principal, f"{call.request_id}.refresh.{new_ulid()}"),
                                           doc, sealed, names)
            log.info("proxy_token_refreshed", provider=manifest.type, connection_id=connection_id)
            return fresh

        try:
            return await self.refresh.ensure_fresh(lease_key, load_tokens, refresh_and_store, rejected=rejected)
        except OAuthError as exc:
            if exc.credentials_invalid:
                await self._mark_error(call, connection_id)
            log.info("proxy_token_refused", provider=manifest.type, connection_id=connection_id, error=exc.error)
            raise ApiError("NOT_CONNECTED", "The provider refused the connection's tokens: connect it again.",
                           {"type": manifest.type, "connectionId": connection_id, "reason": exc.error},
                           status=409) from None
        except TokenRequestFailed:
            raise ApiError("PROVIDER_UNAVAILABLE", "The provider's token endpoint could not be reached: try again.",
                           status=502) from None

    async def _mark_error(self, call: Call, connection_id: str) -> None:
        data = {"status": cx.ERROR, "last_error": "The provider refused the refresh token: connect again.",
                "last_checked_at": datetime.now(UTC).isoformat()}
        try:
            await self.connections.run(Call(call.principal, f"{call.request_id}.invalid.{new_ulid()}"),
                                       cx.MARK_CREDENTIALS_INVALID, connection_id, data)
        except ApiError as exc:  # already disconnected, say: the refusal stands all the same
            log.info("proxy_mark_error_skipped", connection_id=connection_id, code=exc.code)

    # -- audit

    async def _record(self, call: Call, manifest: Manifest, doc: Doc, body: ProxyBody, audit: _Audit,
                      started: float) -> None:
        row = {"_id": "pxc_" + new_ulid(), "workspace_id": call.workspace_id, "connection_id": doc["_id"],
               "provider": manifest.type, "method": body.method, "path": body.path.split("?", 1)[0][:512],
               "status": audit.status, "error": audit.error, "attempts": audit.attempts,
               "refreshed": audit.refreshed, "latency_ms": round((time.monotonic() - started) * 1000, 1),
               "request_id": call.request_id, "at": datetime.now(UTC).isoformat()}
        try:
            await self.audit.insert_one(row)
        except Exception as exc:  # the call happened: log that its audit row could not be written
            log.warning("proxy_audit_failed", connection_id=doc["_id"], error=type(exc).__name__)
        log.info("proxy_call", provider=manifest.type, connection_id=doc["_id"], method=body.method,
                 status=audit.status, error=audit.error, attempts=audit.attempts, latency_ms=row["latency_ms"])

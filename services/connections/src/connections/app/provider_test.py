"""Testing a credential: the manifest's `test` request against the provider's API base, the credential injected
as the manifest's auth says, through a pooled aiohttp session whose resolver admits only addresses the operator's
policy allows (public ones, plus `JUNCTION_PROVIDER_ALLOW_NETWORKS`). No redirect is followed.

An outcome's error is written here from what happened (a status, an exception's type), never from the provider's
answer or a URL: a key in a query string must not reach `last_error`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import aiohttp

from connections.catalogue.manifest import ApiKeyAuth, BasicAuth, Manifest
from connections_contracts import connection as cx
from junction_common.address_policy import AddressPolicy, PinnedResolver, UnsafeTarget
from junction_common.logconfig import get_logger

log = get_logger(__name__)
_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Outcome:
    status: str  # CONNECTED or ERROR
    error: str | None = None


@dataclass(frozen=True)
class _Auth:
    headers: dict[str, str]
    params: dict[str, str]
    basic: aiohttp.BasicAuth | None = None


def _fill(template: str, credentials: dict[str, str]) -> str:
    return _FIELD.sub(lambda m: credentials.get(m.group(1), ""), template)


def inject(manifest: Manifest, credentials: dict[str, str]) -> _Auth:
    """The credential placed as the manifest's auth says (a minimal helper, to be unified with
    connections.requests, which builds every request from a manifest)."""
    auth = manifest.auth
    if isinstance(auth, BasicAuth):
        return _Auth({}, {}, aiohttp.BasicAuth(credentials.get("username", ""), credentials.get("password", "")))
    if not isinstance(auth, ApiKeyAuth):
        raise ValueError(f"{manifest.type} is connected through OAuth, not with a key")
    value = _fill(auth.template, credentials)
    if auth.location == "basic":  # the template reads `username:password`
        user, _, password = value.partition(":")
        return _Auth({}, {}, aiohttp.BasicAuth(user, password))
    if auth.location == "query":
        return _Auth({}, {str(auth.name): value})
    return _Auth({str(auth.name): value}, {})


class ProviderTester:
    """A component of the service: one pooled HTTP session for every credential test."""

    def __init__(self, policy: AddressPolicy, timeout_s: float) -> None:
        self.policy, self.timeout_s = policy, timeout_s
        self._session: aiohttp.ClientSession | None = None

    async def prepare(self) -> None:
        return None

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(resolver=PinnedResolver(self.policy), limit=100, limit_per_host=8)
        self._session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=self.timeout_s),
                                              trust_env=False)

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def http(self) -> aiohttp.ClientSession:
        """The pooled session (its resolver applies the address policy), for the OAuth token requests too."""
        assert self._session is not None, "the tester is not started"
        return self._session

    async def test(self, manifest: Manifest, credentials: dict[str, str]) -> Outcome:
        """CONNECTED when the test request answers its expected status; else ERROR and why."""
        if manifest.test is None:
            return Outcome(cx.CONNECTED)  # nothing proves it: stored as given
        url = str(manifest.api_base_url).rstrip("/") + manifest.test.path
        try:
            await self.policy.check(url)
        except UnsafeTarget as exc:
            return Outcome(cx.ERROR, f"The provider's address is not allowed: {exc}")
        auth = inject(manifest, credentials)
        try:
            status = await self._send(manifest.test.method, url, auth)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.info("provider_test_unreachable", provider=manifest.type, error=type(exc).__name__)
            return Outcome(cx.ERROR, f"The provider could not be reached ({type(exc).__name__}).")
        log.info("provider_tested", provider=manifest.type, status=status)
        if status == manifest.test.expect_status:
            return Outcome(cx.CONNECTED)
        if status in (401, 403):
            return Outcome(cx.ERROR, f"The provider refused the credentials ({status}).")
        return Outcome(cx.ERROR, f"The provider answered {status}, not {manifest.test.expect_status}.")

    async def _send(self, method: str, url: str, auth: _Auth) -> int:
        assert self._session is not None, "the tester is not started"
        async with self._session.request(method, url, headers=auth.headers, params=auth.params or None,
                                         auth=auth.basic, allow_redirects=False) as resp:
            await resp.content.read(4096)
            return resp.status

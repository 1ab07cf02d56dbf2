"""A service's calls to another service's internal API (sync asks connections for a run's credentials; flows
runs a provider action through connections and writes rows through sync).

Each call is signed with the internal secret exactly as the gateway signs its forwards (internal_auth), on behalf
of a service principal scoped to one workspace: the called service scopes every query by that workspace as it
does for a user's call, so one workspace's work never reaches another's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from junction_common.identity import Principal
from junction_common.ids import new_id
from junction_common.internal_auth import HEADER, sign
from junction_common.settings import JunctionSettings

Doc = dict[str, Any]
SERVICE_ROLE = "SERVICE"


def service_principal(workspace_id: str, service: str, scopes: frozenset[str] = frozenset({"*"})) -> Principal:
    """The identity a service acts under inside one workspace (its role is SERVICE, its key id names it)."""
    return Principal(workspace_id=workspace_id, key_id=f"service:{service}", role=SERVICE_ROLE, scopes=scopes)


class PeerUnavailable(Exception):
    """The other service could not be reached or did not answer in time."""


@dataclass(frozen=True)
class PeerAnswer:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class PeerClient:
    """One pooled HTTP session for this process's calls to the other services."""

    def __init__(self, settings: JunctionSettings, caller: str, limit: int = 64) -> None:
        self.settings, self.caller, self._limit = settings, caller, limit
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._limit),
                                                  trust_env=False, cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def call(self, method: str, service: str, path: str, workspace_id: str, *, body: Any = None,
                   params: dict[str, str] | None = None, request_id: str | None = None,
                   timeout_s: float = 30.0) -> PeerAnswer:
        """`method` `path` (a public path; `/internal` is prefixed) on `service`, for `workspace_id`."""
        base = self.settings.service_urls.get(service)
        if base is None:
            raise PeerUnavailable(f"no address for the {service} service (JUNCTION_SERVICE_URLS)")
        internal_path = "/internal" + path
        rid = request_id or new_id("req")
        principal = service_principal(workspace_id, self.caller)
        headers = {HEADER: sign(self.settings.internal_secret, rid, method, internal_path, principal),
                   "X-Request-Id": rid}
        try:
            async with self._http().request(method, base + internal_path, json=body, params=params,
                                            headers=headers,
                                            timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:
                raw = await resp.read()
                try:
                    answer: Any = await resp.json(content_type=None) if raw else None
                except ValueError:
                    answer = raw.decode(errors="replace")
                return PeerAnswer(resp.status, answer)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise PeerUnavailable(f"the {service} service did not answer: {type(exc).__name__}") from exc

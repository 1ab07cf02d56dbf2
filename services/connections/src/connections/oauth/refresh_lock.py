"""One token refresh in flight per connection, within a process and across replicas.

Many calls through one connection can find its access token expired at once (or get a 401 with it); only one
of them may call the provider's token endpoint, because providers that rotate refresh tokens invalidate the
old one on first use, so a second concurrent refresh would fail and break the connection.

- In a process, callers of one connection share one refresh (a single flight): they await the same task and
  get its tokens, or its error, so a failed refresh is also reported once per round, not retried 20 times.
- Across replicas, the flight first takes a lease: a document `{_id: connection_id, owner, lease_until}` in
  MongoDB, taken by `insert_one` (no document) or by an update guarded by `lease_until < now` (an expired
  lease of a crashed owner); nx-27017's upsert ignores `$setOnInsert`, hence no upsert. A replica that finds
  the lease taken polls the stored tokens until they are fresh (the owner stored them) or the lease expires.
- After taking the lease the stored tokens are read again: another replica may have just refreshed them.
- A failed refresh is recorded on the lease (`failed_error`, `failed_status`, `failed_epoch`) when it is given
  back, so replicas that were waiting raise the same typed error instead of trying again with a refresh token
  the provider may already have spent; a later call (after the wait began) tries afresh.

The aggregate plugs in two callbacks: `load_tokens()` reads the freshest stored tokens (and should raise once
the connection is marked ERROR, so waiters stop), `refresh_and_store(tokens)` calls the provider with
`tokens.refresh_token`, stores the result and returns it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from connections.oauth.tokens import OAuthError, ProviderUnavailable, TokenRequestFailed, Tokens

Doc = dict[str, Any]
LoadTokens = Callable[[], Awaitable[Tokens]]
RefreshAndStore = Callable[[Tokens], Awaitable[Tokens]]


class RefreshTimedOut(TokenRequestFailed):
    """Another replica held the refresh lease and no fresh tokens appeared in time."""


class RefreshLeases:
    """Leases on refreshing a connection's tokens, shared by every replica through one collection.

    `lease_s` must exceed the token request's timeout, so a lease never lapses while its owner is still
    talking to the provider. Expiry is epoch seconds (a datetime written through an update reads back as a
    string on nx-27017).
    """

    def __init__(self, db: AsyncDatabase[Doc], collection: str = "oauth_refresh_leases", lease_s: float = 30.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.leases, self.lease_s, self._clock = db[collection], lease_s, clock

    async def acquire(self, connection_id: str) -> str | None:
        """This holder's owner token if the lease was free (or lapsed), None while another holds it."""
        owner, now = uuid.uuid4().hex, self._clock()
        fields = {"owner": owner, "lease_until": now + self.lease_s}
        try:
            await self.leases.insert_one({"_id": connection_id, **fields})
            return owner
        except DuplicateKeyError:
            pass
        taken = await self.leases.update_one({"_id": connection_id, "lease_until": {"$lt": now}}, {"$set": fields})
        return owner if taken.modified_count == 1 else None

    def now(self) -> float:
        return self._clock()

    async def release(self, connection_id: str, owner: str, failure: TokenRequestFailed | None = None) -> None:
        """Give the lease back (unless it lapsed and someone else holds it now), recording a failure."""
        if failure is None:
            await self.leases.delete_one({"_id": connection_id, "owner": owner})
            return
        error, status = ((failure.error, failure.status) if isinstance(failure, OAuthError) else ("unavailable", 0))
        await self.leases.update_one({"_id": connection_id, "owner": owner}, {"$set": {
            "lease_until": 0.0, "failed_error": error, "failed_status": status, "failed_epoch": self._clock()}})

    async def failure_since(self, connection_id: str, since: float) -> TokenRequestFailed | None:
        """The error of a refresh of this connection that failed at or after `since`, if any."""
        doc = await self.leases.find_one({"_id": connection_id, "failed_epoch": {"$gte": since}})
        if doc is None:
            return None
        if doc.get("failed_error") == "unavailable":
            return ProviderUnavailable(f"connection {connection_id}: the refresh failed on another replica")
        return OAuthError(str(doc.get("failed_error")), int(doc.get("failed_status") or 400),
                          "the refresh failed on another replica")


class RefreshCoordinator:
    """`ensure_fresh` returns usable tokens for a connection, refreshing them at most once at a time."""

    def __init__(self, leases: RefreshLeases, *, margin_s: float = 60.0, poll_s: float = 0.05,
                 wait_s: float | None = None) -> None:
        self.leases, self.margin_s, self.poll_s = leases, margin_s, poll_s
        self.wait_s = 2 * leases.lease_s if wait_s is None else wait_s
        self._flights: dict[str, asyncio.Future[Tokens]] = {}

    async def ensure_fresh(self, connection_id: str, load_tokens: LoadTokens, refresh_and_store: RefreshAndStore,
                           *, rejected: Tokens | None = None) -> Tokens:
        """Stored tokens if still good for `margin_s` (and not `rejected`, the ones a provider just answered
        401 to), else the result of the one refresh in flight for this connection."""
        tokens = await load_tokens()
        if self._usable(tokens, rejected):
            return tokens
        flight = self._flights.get(connection_id)
        if flight is None:
            flight = asyncio.ensure_future(self._refresh(connection_id, load_tokens, refresh_and_store, rejected))
            self._flights[connection_id] = flight
            flight.add_done_callback(lambda done: self._landed(connection_id, done))
        # Shielded: one impatient caller cancelling must not cancel the refresh the others wait for.
        return await asyncio.shield(flight)

    def _usable(self, tokens: Tokens, rejected: Tokens | None) -> bool:
        if rejected is not None and tokens.access_token == rejected.access_token:
            return False
        return not tokens.expires_within(self.margin_s)

    def _landed(self, connection_id: str, done: asyncio.Future[Tokens]) -> None:
        if self._flights.get(connection_id) is done:
            del self._flights[connection_id]
        if not done.cancelled():
            done.exception()  # retrieved here too, so an error nobody awaits any more is not reported as lost

    async def _refresh(self, connection_id: str, load_tokens: LoadTokens, refresh_and_store: RefreshAndStore,
                       rejected: Tokens | None) -> Tokens:
        started, deadline = self.leases.now(), time.monotonic() + self.wait_s
        while True:
            owner = await self.leases.acquire(connection_id)
            if owner is not None:
                return await self._as_owner(connection_id, owner, started, load_tokens, refresh_and_store, rejected)
            await asyncio.sleep(self.poll_s)
            tokens = await load_tokens()
            if self._usable(tokens, rejected):
                return tokens
            if (failure := await self.leases.failure_since(connection_id, started)) is not None:
                raise failure
            if time.monotonic() > deadline:
                raise RefreshTimedOut(f"connection {connection_id}: the refresh lease stayed taken")

    async def _as_owner(self, connection_id: str, owner: str, started: float, load_tokens: LoadTokens,
                        refresh_and_store: RefreshAndStore, rejected: Tokens | None) -> Tokens:
        failure: TokenRequestFailed | None = None
        try:
            # The holder we waited for may have failed just before we took its lapsed or released lease.
            if (failure := await self.leases.failure_since(connection_id, started)) is not None:
                raise failure
            tokens = await load_tokens()  # another replica may have refreshed before we got the lease
            return tokens if self._usable(tokens, rejected) else await refresh_and_store(tokens)
        except TokenRequestFailed as exc:
            failure = exc
            raise
        finally:
            with contextlib.suppress(Exception):  # the lease lapses by itself if this fails
                await self.leases.release(connection_id, owner, failure)

"""Endpoints as the delivery path sees them: subscriptions per workspace, and URL + opened keys per endpoint.

Fan-out must never miss an endpoint that existed when an event happened: a workspace's list is reused only
when it was loaded after the event occurred (concurrent lookups share one load), so an endpoint created
(and readable) before an event is always seen. Per-endpoint details are cached for `ttl_s`, which bounds
how long a pause or a URL change takes to apply to deliveries already queued.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from junction_common.timefmt import as_datetime
from junction_common.vault import SealedSecret, Vault, VaultError
from junction_common.webhook_signing import key_bytes, secret_aad
from webhooks.provider_forwarding.targets import FORWARD_TARGETS, is_forward_target
from webhooks_contracts import declarations as wh

Doc = dict[str, Any]


def subscribed(endpoint: Doc, event_type: str) -> bool:
    """No filter (or `*`) takes everything; `contact.*` takes a family; otherwise exact keys."""
    types = endpoint.get("event_types") or []
    if not types or "*" in types:
        return event_type != wh.TEST_EVENT
    return any(t == event_type or (t.endswith(".*") and event_type.startswith(t[:-1])) for t in types)


@dataclass
class Target:
    """What one attempt needs: where, with which keys, under which limits and schedule."""

    endpoint_id: str
    workspace_id: str
    url: str
    status: str
    keys: list[bytes]
    rate_per_s: float
    concurrency: int
    schedule: tuple[float, ...] | None
    key_error: str | None = None  # the sealed secret could not be opened (vault keys, or a bad secret)
    loaded_at: float = field(default_factory=time.monotonic)


@dataclass
class _Listing:
    started_at: float
    task: asyncio.Task[list[Doc]]


class EndpointDirectory:
    def __init__(self, db: AsyncDatabase[Doc], vault: Vault, ttl_s: float = 1.0) -> None:
        self.endpoints = db[wh.ENDPOINTS]
        self.forward_targets = db[FORWARD_TARGETS]
        self.vault, self.ttl_s = vault, ttl_s
        self._lists: dict[str, _Listing] = {}
        self._targets: dict[str, Target] = {}

    async def for_workspace(self, workspace_id: str, occurred_ts: float) -> list[Doc]:
        """Live endpoints of the workspace, from a read made after `occurred_ts`."""
        listing = self._lists.get(workspace_id)
        if listing is None or listing.started_at <= occurred_ts or (
                listing.task.done() and time.time() - listing.started_at > self.ttl_s):
            listing = _Listing(time.time(), asyncio.ensure_future(self._load(workspace_id)))
            self._lists[workspace_id] = listing
        return await asyncio.shield(listing.task)

    async def _load(self, workspace_id: str) -> list[Doc]:
        return await self.endpoints.find({"workspace_id": workspace_id, "deleted": False}).to_list()

    async def target(self, endpoint_id: str, default_rate: float, default_concurrency: int) -> Target | None:
        cached = self._targets.get(endpoint_id)
        if cached is not None and time.monotonic() - cached.loaded_at < self.ttl_s:
            return cached
        doc = await self.endpoints.find_one({"_id": endpoint_id})
        if doc is None and is_forward_target(endpoint_id):  # a provider webhook subscription's url
            doc = await self.forward_targets.find_one({"_id": endpoint_id})
        if doc is None:
            self._targets.pop(endpoint_id, None)
            return None
        keys, key_error = self._opened(doc)
        target = Target(endpoint_id, doc["workspace_id"], doc["url"], "deleted" if doc.get("deleted") else
                        doc.get("status", "active"), keys, float(doc.get("rate_limit_per_s") or
                        default_rate), int(doc.get("max_concurrency") or default_concurrency),
                        tuple(doc["retry_schedule"]) if doc.get("retry_schedule") else None, key_error)
        self._targets[endpoint_id] = target
        return target

    def _opened(self, doc: Doc) -> tuple[list[bytes], str | None]:
        try:
            return self._keys(doc), None
        except (VaultError, ValueError, KeyError) as exc:
            return [], f"the signing secret could not be opened: {type(exc).__name__}"

    def _keys(self, doc: Doc) -> list[bytes]:
        aad = secret_aad(doc["workspace_id"], doc["_id"])
        keys = [key_bytes(self.vault.open(SealedSecret.from_dict(doc["secret_sealed"]), aad).decode())]
        now = time.time()
        for old in doc.get("previous_secrets") or []:
            expires = as_datetime(old["expires_at"])
            if expires is not None and expires.timestamp() > now:
                keys.append(key_bytes(self.vault.open(SealedSecret.from_dict(old["secret_sealed"]), aad).decode()))
        return keys

    async def inactive_ids(self) -> list[str]:
        """Endpoints whose deliveries wait (paused, disabled). A deleted endpoint's deliveries are cancelled
        with it (and any left over are cancelled when next attempted), so they need no skipping."""
        docs = await self.endpoints.find({"status": {"$ne": "active"}, "deleted": False}, {"_id": 1}).to_list()
        return [d["_id"] for d in docs]

    def forget(self, endpoint_id: str) -> None:
        self._targets.pop(endpoint_id, None)

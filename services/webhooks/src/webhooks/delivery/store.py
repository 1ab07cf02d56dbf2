"""The delivery log: one document per (event, endpoint), the work queue and the history of its attempts.

Deliveries are operational state (like a queue), not an event-sourced aggregate: at thousands per second
an event per attempt would double the write load for nothing a replay needs. Each document holds:
status (pending, retrying, succeeded, failed, cancelled), attempt_count, attempts (time, status code,
latency, truncated response body, error), next_attempt_at and a lease (lease_until, lease_token) so that
exactly one worker holds a delivery at a time and a crashed worker's deliveries are taken over.
Times used in queries are epoch seconds (floats compare exactly on every MongoDB-protocol server).
"""

from __future__ import annotations

import hashlib
from functools import partial
from typing import Any

from pymongo import ASCENDING, InsertOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from junction_common.batching import GroupCommit, WriteOp, write_unordered
from junction_common.ids import new_ulid
from junction_common.timefmt import from_epoch as iso
from webhooks_contracts import declarations as wh

Doc = dict[str, Any]
OPEN = wh.OPEN_DELIVERY_STATUSES
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"




def delivery_id(at: float, *parts: str) -> str:
    """A stable id from its origin (event id + endpoint id): a redelivered event makes no second delivery.

    Like every id here it sorts by time: 10 characters of the event's millisecond time, 16 of a hash.
    """
    value = (int(at * 1000) << 80) | int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:10], "big")
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return f"{wh.DELIVERY_PREFIX}_{''.join(reversed(chars))}"


def new_delivery(*, delivery: str, workspace_id: str, endpoint_id: str, event_id: str, event_type: str,
                 occurred_ts: float, payload: str, now: float, lease_s: float, lease_token: str | None,
                 source: str = "event", retry_of: str | None = None) -> Doc:
    return {
        "_id": delivery, "id": delivery, "workspace_id": workspace_id, "webhook_id": endpoint_id,
        "event_id": event_id, "event_type": event_type, "payload": payload, "source": source,
        "retry_of": retry_of, "status": "pending", "attempt_count": 0, "round_attempts": 0, "attempts": [],
        "occurred_at": iso(occurred_ts), "occurred_ts": occurred_ts, "created_at": iso(now), "created_ts": now,
        "updated_at": iso(now), "next_attempt_at": now,
        "lease_until": now + lease_s if lease_token else 0.0, "lease_token": lease_token,
        "last_status_code": None, "last_error": None,
    }


class DeliveryStore:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.deliveries = db[wh.DELIVERIES]
        # group commits: under load one bulk write carries hundreds of inserts (or updates); alone one waits 5 ms
        self.inserts: GroupCommit[WriteOp, bool] = GroupCommit(partial(write_unordered, self.deliveries),
                                                               size=200, wait_s=0.005)
        self.updates: GroupCommit[WriteOp, bool] = GroupCommit(partial(write_unordered, self.deliveries),
                                                               size=200, wait_s=0.005)

    async def ensure_indexes(self) -> None:
        await self.deliveries.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
        await self.deliveries.create_index([("workspace_id", ASCENDING), ("webhook_id", ASCENDING)])
        await self.deliveries.create_index([("lease_token", ASCENDING)])
        await self.deliveries.create_index([("cancelled_ts", ASCENDING)])

    async def add(self, doc: Doc) -> bool:
        """Insert a new delivery; False when it already existed (the event was seen before)."""
        return await self.inserts.submit(InsertOne(doc))

    async def settle(self, delivery: str, lease_token: str, replacement: Doc) -> bool:
        """Write an attempt's result: the holder of the lease replaces the document, unless it was
        cancelled or taken over meanwhile."""
        return await self.updates.submit(ReplaceOne(
            {"_id": delivery, "lease_token": lease_token, "status": {"$ne": "cancelled"}}, replacement))

    async def record(self, delivery: str, change: Doc) -> bool:
        """Apply an attempt's result unless the delivery was cancelled meanwhile."""
        return await self.updates.submit(UpdateOne({"_id": delivery, "status": {"$ne": "cancelled"}}, change))

    async def claim_due(self, now: float, lease_s: float, skip_endpoints: list[str], limit: int) -> list[Doc]:
        """Lease up to `limit` due deliveries whose lease has expired (never sent, retry due, or orphaned)."""
        query: Doc = {"status": {"$in": list(OPEN)}, "next_attempt_at": {"$lte": now}, "lease_until": {"$lt": now}}
        if skip_endpoints:
            query["webhook_id"] = {"$nin": skip_endpoints}
        due = await self.deliveries.find(query, {"_id": 1}).sort("next_attempt_at", 1).limit(limit).to_list()
        if not due:
            return []
        token = new_ulid()
        await self.deliveries.update_many(
            {"_id": {"$in": [d["_id"] for d in due]}, "lease_until": {"$lt": now}, "status": {"$in": list(OPEN)}},
            {"$set": {"lease_until": now + lease_s, "lease_token": token}})
        return await self.deliveries.find({"lease_token": token}).to_list()

    async def claim_one(self, delivery: str, now: float, lease_s: float) -> Doc | None:
        token = new_ulid()
        result = await self.deliveries.update_one(
            {"_id": delivery, "status": {"$in": list(OPEN)}, "lease_until": {"$lt": now}},
            {"$set": {"lease_until": now + lease_s, "lease_token": token}})
        return await self.deliveries.find_one({"_id": delivery}) if result.modified_count else None

    async def get(self, workspace_id: str, delivery: str) -> Doc | None:
        return await self.deliveries.find_one({"_id": delivery, "workspace_id": workspace_id})

    async def requeue(self, query: Doc, now: float) -> int:
        """Make matching deliveries due now (manual retry, bulk recovery, catch-up)."""
        result = await self.deliveries.update_many(query, {"$set": {
            "status": "pending", "next_attempt_at": now, "lease_until": 0.0, "lease_token": None,
            "round_attempts": 0, "updated_at": iso(now)}})
        return result.modified_count

    async def cancel(self, query: Doc, now: float) -> int:
        result = await self.deliveries.update_many(query, {"$set": {
            "status": "cancelled", "lease_until": 0.0, "lease_token": None, "updated_at": iso(now),
            "cancelled_at": iso(now), "cancelled_ts": now}})
        return result.modified_count

    async def cancelled_since(self, ts: float) -> list[str]:
        """Deliveries cancelled after `ts` (workers drop them even if they hold them already)."""
        docs = await self.deliveries.find({"status": "cancelled", "cancelled_ts": {"$gt": ts}}, {"_id": 1}).to_list()
        return [d["_id"] for d in docs]

    async def drain(self) -> None:
        await self.inserts.drain()
        await self.updates.drain()

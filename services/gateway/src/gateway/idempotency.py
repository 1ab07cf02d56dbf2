"""Idempotency-Key: the first response is stored per workspace and key and replayed byte for byte.

Same key + different body is IDEMPOTENCY_CONFLICT; same key while the first is in flight is 409; an
in-flight record whose gateway went silent is taken over so the command (same id) is awaited again. A
record whose command Kafka did not acknowledge is `unpublished`: the next request with the key takes it
over at once. Whoever resumes a key publishes the command again (same ids): the owning service handles a
command id once, so this never makes a second resource, and a lost publish is never mistaken for a sent one.

The store is one per gateway process: concurrent requests' claims go to the database as one unordered
`insert_many` and their state changes as one unordered `bulk_write` (junction_common.batching.GroupCommit), so
under load a keyed write costs a fraction of a round trip per record instead of two.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from junction_common.batching import GroupCommit
from junction_common.timefmt import as_datetime

Doc = dict[str, Any]

NEW, REPLAY, RESUME, CONFLICT, IN_FLIGHT = "new", "replay", "resume", "conflict", "in_flight"
UNPUBLISHED = "unpublished"


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


@dataclass
class Claim:
    outcome: str
    ids: dict[str, str] = field(default_factory=dict)
    response: Doc | None = None


class IdempotencyStore:
    def __init__(self, db: AsyncDatabase[Doc], ttl_s: int, stale_s: int) -> None:
        self.records = db["idempotency_keys"]
        self._ttl, self._stale = timedelta(seconds=ttl_s), timedelta(seconds=stale_s)
        self._claims: GroupCommit[Doc, bool] = GroupCommit(self._insert_claims)
        self._changes: GroupCommit[UpdateOne, None] = GroupCommit(self._apply_changes)

    async def _insert_claims(self, docs: list[Doc]) -> list[bool]:
        """Insert every claim at once; False for each whose key is already taken (duplicate `_id`)."""
        taken: set[int] = set()
        try:
            await self.records.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(err.get("code") != 11000 for err in errors):
                raise
            taken = {err["index"] for err in errors}
        return [index not in taken for index in range(len(docs))]

    async def _apply_changes(self, ops: list[UpdateOne]) -> list[None]:
        """Apply every state change at once (each is keyed on its record's `_id`)."""
        await self.records.bulk_write(ops, ordered=False)
        return [None] * len(ops)

    async def _change(self, record_id: str, condition: Doc, update: Doc) -> None:
        await self._changes.submit(UpdateOne({"_id": record_id, **condition}, update))

    async def ensure_indexes(self) -> None:
        await self.records.create_index("expires_at")

    async def begin(self, workspace_id: str, key: str, fp: str, ids: dict[str, str], now: datetime) -> Claim:
        """Claim `key` for this request, or say what the earlier request with it decides."""
        record_id = f"{workspace_id}:{key}"
        doc = {"_id": record_id, "workspace_id": workspace_id, "fingerprint": fp, "state": IN_FLIGHT,
               "ids": ids, "response": None, "created_at": now, "claimed_at": now, "expires_at": now + self._ttl}
        for _ in range(3):
            if await self._claims.submit(dict(doc)):
                return Claim(NEW, ids)
            existing = await self.records.find_one({"_id": record_id})
            if existing is None:
                continue
            expires = as_datetime(existing["expires_at"])
            if expires is not None and expires <= now:
                await self.records.delete_one({"_id": record_id, "expires_at": existing["expires_at"]})
                continue
            return await self._decide(existing, fp, now)
        return Claim(IN_FLIGHT)

    async def _decide(self, existing: Doc, fp: str, now: datetime) -> Claim:
        if existing["fingerprint"] != fp:
            return Claim(CONFLICT)
        if existing["state"] == "done":
            return Claim(REPLAY, existing["ids"], existing["response"])
        if existing["state"] == "accepted":
            return Claim(RESUME, existing["ids"])
        if existing["state"] == UNPUBLISHED:
            taken = await self.records.update_one(
                {"_id": existing["_id"], "state": UNPUBLISHED}, {"$set": {"state": IN_FLIGHT, "claimed_at": now}}
            )
            return Claim(RESUME, existing["ids"]) if taken.modified_count else Claim(IN_FLIGHT)
        claimed = as_datetime(existing["claimed_at"]) or now
        if now - claimed < self._stale:
            return Claim(IN_FLIGHT)
        taken = await self.records.update_one(
            {"_id": existing["_id"], "claimed_at": existing["claimed_at"]}, {"$set": {"claimed_at": now}}
        )
        return Claim(RESUME, existing["ids"]) if taken.modified_count else Claim(IN_FLIGHT)

    async def accepted(self, workspace_id: str, key: str) -> None:
        """The write was answered 202: a retry with the key waits for the same command again."""
        await self._change(f"{workspace_id}:{key}", {}, {"$set": {"state": "accepted"}})

    async def finish(self, workspace_id: str, key: str, status: int, body: bytes) -> None:
        """The answer is stored (with the other requests' finishing now) before it is sent."""
        response = {"status": status, "body": body.decode()}
        await self._change(f"{workspace_id}:{key}", {}, {"$set": {"state": "done", "response": response}})

    async def unpublished(self, workspace_id: str, key: str) -> None:
        """Kafka did not acknowledge the command: free the key for a retry, which keeps the same ids."""
        await self._change(f"{workspace_id}:{key}", {"state": IN_FLIGHT}, {"$set": {"state": UNPUBLISHED}})

    async def sweep(self, now: datetime) -> int:
        result = await self.records.delete_many({"expires_at": {"$lt": now}})
        return result.deleted_count

"""Command outcomes: what became of each command, so a redelivery and the gateway see the first answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

Doc = dict[str, Any]

SUCCEEDED = "succeeded"
REJECTED = "rejected"
DUPLICATE_KEY = 11000


def outcome_document(
    command_id: str, workspace_id: str, status: str, at: datetime, *, resource_id: str = "", version: int = 0,
    error: dict[str, Any] | None = None,
) -> Doc:
    """The stored form of an outcome, keyed by the command id."""
    return {"_id": command_id, "workspace_id": workspace_id, "status": status, "resource_id": resource_id,
            "version": version, "error": error, "completed_at": at}


class OutcomeStore:
    """One document per command id in `command_outcomes`; written once, never changed."""

    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.outcomes: AsyncCollection[Doc] = db["command_outcomes"]

    async def record(
        self,
        command_id: str,
        workspace_id: str,
        status: str,
        at: datetime,
        *,
        resource_id: str = "",
        version: int = 0,
        error: dict[str, Any] | None = None,
    ) -> bool:
        """Record the outcome unless one is recorded already; True when this one is the first."""
        doc = outcome_document(command_id, workspace_id, status, at, resource_id=resource_id, version=version,
                               error=error)
        del doc["_id"]
        # Upsert with $setOnInsert keeps the first outcome if a redelivery records again.
        result = await self.outcomes.update_one({"_id": command_id}, {"$setOnInsert": doc}, upsert=True)
        return result.upserted_id is not None

    async def record_many(self, docs: list[Doc]) -> None:
        """Record a batch's outcomes with one unordered `insert_many`; an outcome already recorded stays first."""
        if not docs:
            return
        try:
            await self.outcomes.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                raise

    async def get_many(self, command_ids: list[str]) -> dict[str, Doc]:
        """The recorded outcomes of these commands (one `_id $in` query), by command id."""
        if not command_ids:
            return {}
        return {doc["_id"]: doc async for doc in self.outcomes.find({"_id": {"$in": command_ids}})}

    async def get(self, command_id: str, workspace_id: str) -> Doc | None:
        return await self.outcomes.find_one({"_id": command_id, "workspace_id": workspace_id})

"""Command outcomes: what became of each command, so a redelivery and the gateway see the first answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

Doc = dict[str, Any]

SUCCEEDED = "succeeded"
REJECTED = "rejected"


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
    ) -> None:
        doc = {
            "workspace_id": workspace_id,
            "status": status,
            "resource_id": resource_id,
            "version": version,
            "error": error,
            "completed_at": at,
        }
        # Upsert with $setOnInsert keeps the first outcome if a redelivery records again.
        await self.outcomes.update_one({"_id": command_id}, {"$setOnInsert": doc}, upsert=True)

    async def get(self, command_id: str, workspace_id: str) -> Doc | None:
        return await self.outcomes.find_one({"_id": command_id, "workspace_id": workspace_id})

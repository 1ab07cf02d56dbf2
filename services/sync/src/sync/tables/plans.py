"""The plan each workspace was last seen calling with (the edge signs it into every call): the sync path has no
caller, and another service's call (flows writing rows) carries no plan of its own, so they are checked against
the plan remembered here (none remembered: not checked)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from junction_common.identity import Principal

PLANS = "sync_workspace_plans"
SERVICE_ROLE = "SERVICE"


class PlanBook:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.docs = db[PLANS]
        self.known: dict[str, str] = {}

    async def remember(self, principal: Principal) -> str | None:
        """The caller's plan, remembered for its workspace (a service's call: the one remembered, if any)."""
        if principal.role == SERVICE_ROLE:
            return await self.plan_of(principal.workspace_id)
        if self.known.get(principal.workspace_id) != principal.plan:
            await self.docs.replace_one({"_id": principal.workspace_id}, {"plan": principal.plan}, upsert=True)
            self.known[principal.workspace_id] = principal.plan
        return principal.plan

    async def plan_of(self, workspace_id: str) -> str | None:
        if workspace_id in self.known:
            return self.known[workspace_id]
        doc = await self.docs.find_one({"_id": workspace_id})
        return str(doc["plan"]) if doc else None

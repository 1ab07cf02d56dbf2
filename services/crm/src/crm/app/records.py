"""Command handling for declared resources: gather the facts a rule needs, then decide purely."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from crm.domain import record, rules
from junction_common.contracts.crm import CRM_RESOURCES
from junction_common.contracts.resources import ResourceContract
from junction_common.decisions import Decider
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent

Doc = dict[str, Any]
BY_NAME = {c.name: c for c in CRM_RESOURCES}
COLLECTION_BY_PREFIX = {**{c.prefix: c.collection for c in CRM_RESOURCES}, "con": "contacts"}


async def _related_exists(db: AsyncDatabase[Doc], workspace_id: str, resource_id: str) -> bool:
    collection = COLLECTION_BY_PREFIX.get(resource_id.split("_", 1)[0])
    if collection is None:
        return False
    doc = await db[collection].find_one({"_id": resource_id, "workspace_id": workspace_id}, {"_id": 1})
    return doc is not None


async def load_context(contract: ResourceContract, cmd: CommandEnvelope, db: AsyncDatabase[Doc]) -> dict[str, Any]:
    """Facts from this workspace's read models that `contract`'s rules need."""
    context: dict[str, Any] = {}
    if contract.name in ("deal", "deal_stage"):
        stages = db["deal_stages"].find({"workspace_id": cmd.workspace_id, "archived": False}, {"key": 1})
        context["stage_keys"] = {doc["key"] async for doc in stages}
    related = cmd.data.get("related_resource_id")
    if related:
        context["related_exists"] = await _related_exists(db, cmd.workspace_id, str(related))
    return context


def decider(contract: ResourceContract, context: dict[str, Any]) -> Decider:
    def decide(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
        state = record.fold(events)
        rules.check(contract.name, cmd, state, context)
        return record.decide(contract, cmd, state)

    return decide

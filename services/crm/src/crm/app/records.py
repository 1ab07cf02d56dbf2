"""Command handling for declared resources: gather the facts a rule needs, then decide purely."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from crm.domain import record, rules
from crm_contracts.crm import CRM_RESOURCES
from junction_common.contracts.resources import ResourceContract
from junction_common.decisions import CommandRejected, Decider, rejecting
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent

Doc = dict[str, Any]
BY_NAME = {c.name: c for c in CRM_RESOURCES}
# Read models kept outside the declared resources that a record may still name.
OTHER_COLLECTIONS = {"contact": "contacts", "invoice": "invoices"}
COLLECTION_BY_NAME = {**OTHER_COLLECTIONS, **{c.name: c.collection for c in CRM_RESOURCES}}
LIVE = {"archived": {"$ne": True}}


async def _taken(db: AsyncDatabase[Doc], contract: ResourceContract, cmd: CommandEnvelope,
                 fields: tuple[str, ...]) -> dict[str, set[Any]]:
    """The values of `fields` in `cmd` that another live record of the workspace already uses."""
    taken: dict[str, set[Any]] = {}
    for name in fields:
        value = cmd.data.get(name)
        if value is None:
            continue
        other = await db[contract.collection].find_one(
            {"workspace_id": cmd.workspace_id, name: value, "_id": {"$ne": cmd.aggregate_id}, **LIVE}, {"_id": 1})
        if other is not None:
            taken[name] = {value}
    return taken


async def _missing_links(db: AsyncDatabase[Doc], workspace_id: str, links: list[rules.Link]) -> list[Doc]:
    """Every link whose target is not a record of the workspace (nor live, if it must be), in the command's order."""
    ids_by_target: dict[tuple[str, bool], set[str]] = defaultdict(set)
    for link in links:
        ids_by_target[link.target, link.live].add(link.id)
    found: set[tuple[str, bool, str]] = set()
    for (target, live), ids in ids_by_target.items():
        collection = COLLECTION_BY_NAME.get(target)
        if collection is None:
            continue
        query = {"_id": {"$in": sorted(ids)}, "workspace_id": workspace_id, **(LIVE if live else {})}
        found |= {(target, live, doc["_id"]) async for doc in db[collection].find(query, {"_id": 1})}
    return [{"pointer": link.pointer, "id": link.id} for link in links
            if (link.target, link.live, link.id) not in found]


async def links_refused(resource: str, cmd: CommandEnvelope, db: AsyncDatabase[Doc]) -> CommandRejected | None:
    """The refusal of `cmd` when a record it names (a declared link of `resource`) is not in the workspace."""
    links = rules.links_of(resource, cmd.data)
    missing = await _missing_links(db, cmd.workspace_id, links) if links else []
    return rules.links_rejection(missing) if missing else None


async def after_links(resource: str, cmd: CommandEnvelope, db: AsyncDatabase[Doc], decide: Decider) -> Decider:
    """`decide`, for an aggregate decided outside the record rules (contacts, invoices), once its links resolve."""
    refused = await links_refused(resource, cmd, db)
    return rejecting(refused) if refused else decide


async def _entry_collection(db: AsyncDatabase[Doc], cmd: CommandEnvelope) -> Doc | None:
    """The collection (with its schema) an entry belongs to: named by a create, stored on the entry after."""
    collection_id = cmd.data.get("collection_id")
    if collection_id is None:
        entry = await db["cms_entries"].find_one({"_id": cmd.aggregate_id}, {"collection_id": 1})
        collection_id = entry["collection_id"] if entry else None
    if collection_id is None:
        return None
    return await db["cms_collections"].find_one({"_id": collection_id, "workspace_id": cmd.workspace_id,
                                                 "archived": False})


async def load_context(contract: ResourceContract, cmd: CommandEnvelope, db: AsyncDatabase[Doc]) -> dict[str, Any]:
    """Facts from this workspace's read models that `contract`'s rules need."""
    context: dict[str, Any] = {}
    if contract.name in ("deal", "deal_stage"):
        stages = db["deal_stages"].find({"workspace_id": cmd.workspace_id, "archived": False}, {"key": 1})
        context["stage_keys"] = {doc["key"] async for doc in stages}
    if contract.name in rules.UNIQUE:
        context["taken"] = await _taken(db, contract, cmd, rules.UNIQUE[contract.name])
    if contract.name == "cms_entry":
        context["collection"] = await _entry_collection(db, cmd)
    links = rules.links_of(contract.name, cmd.data)
    if links:
        context["missing_links"] = await _missing_links(db, cmd.workspace_id, links)
    return context


def decider(contract: ResourceContract, context: dict[str, Any]) -> Decider:
    def decide(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
        state = record.fold(events)
        rules.check(contract.name, cmd, state, context)
        return record.decide(contract, cmd, state)

    return decide

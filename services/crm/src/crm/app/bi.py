"""Command handling for BI objects: the facts their rules need, and their decision."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from crm.domain import bi, record, rules
from crm_contracts.bi import BI_DATASET
from junction_common.contracts.resources import ResourceContract
from junction_common.decisions import CommandRejected, Decider
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent

Doc = dict[str, Any]


async def load_context(contract: ResourceContract, cmd: CommandEnvelope, db: AsyncDatabase[Doc]) -> dict[str, Any]:
    """The live dataset of this workspace a metric or report names (its columns decide which fields exist)."""
    dataset_id = cmd.data.get("dataset_id")
    if contract.name not in ("bi_metric", "bi_report") or not dataset_id:
        return {}
    dataset = await db[BI_DATASET.collection].find_one({"_id": dataset_id, "workspace_id": cmd.workspace_id,
                                                        "archived": False})
    return {"dataset": dataset}


def decider(contract: ResourceContract, context: dict[str, Any]) -> Decider:
    def decide(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
        if events and not events[0].type.startswith(contract.name + "."):  # an id of another kind of object
            raise CommandRejected("NOT_FOUND", f"The {contract.name.replace('_', ' ')} could not be found.")
        state = record.fold(events)
        rules.check(contract.name, cmd, state, context)
        return bi.decide(contract, cmd, state)

    return decide

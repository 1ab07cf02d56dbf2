"""Create or update a CRM resource: the command the gateway would publish, on `crm.commands` (the crm's
command envelope and type string; no crm contract imported), then the crm's outcome long poll through its
internal API. The command id derives from the attempt's idempotency key, so a repeated attempt is one command
(the crm handles a command id once)."""

from __future__ import annotations

import hashlib
from typing import Any

from faststream.kafka import KafkaBroker

from flows.steps.errors import StepError
from junction_common.envelope import Actor, CommandEnvelope
from junction_common.settings import JunctionSettings
from junction_common.web.peers import PeerClient, PeerUnavailable

CRM_COMMANDS = "crm.commands"
# resource -> (id prefix, read model collection, create command type)
RESOURCES: dict[str, tuple[str, str, str]] = {
    "contact": ("con", "contacts", "CreateContact"),
    "company": ("com", "companies", "company.create"),
    "lead": ("lead", "leads", "lead.create"),
    "deal": ("deal", "deals", "deal.create"),
    "task": ("task", "tasks", "task.create"),
    "activity": ("act", "activities", "activity.create"),
    "ticket": ("ticket", "tickets", "ticket.create"),
    "invoice": ("inv", "invoices", "invoice.create"),
    "payment": ("pay", "payments", "payment.create"),
}


def _derived(key: str, size: int = 26) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:size]


class CrmSteps:
    def __init__(self, settings: JunctionSettings, broker: KafkaBroker, peers: PeerClient) -> None:
        self.settings, self.broker, self.peers = settings, broker, peers

    async def write(self, workspace_id: str, config: dict[str, Any], update: bool, key: str,
                    correlation_id: str) -> dict[str, Any]:
        resource = str(config["resource"])
        if resource not in RESOURCES:
            raise StepError("config", "UNKNOWN_RESOURCE", f"no CRM resource {resource!r}",
                            {"known": sorted(RESOURCES)})
        prefix, collection, create = RESOURCES[resource]
        if update and not config.get("id"):
            raise StepError("config", "MISSING_ID", "an update names the resource's id")
        aggregate = str(config["id"]) if update else f"{prefix}_{_derived(key).upper()}"
        cmd = CommandEnvelope(command_id=f"cmd_{_derived('crm:' + key)}", type=f"{resource}.update" if update
                              else create, aggregate_id=aggregate, workspace_id=workspace_id,
                              actor=Actor(kind="flow", id=correlation_id), correlation_id=correlation_id,
                              data=dict(config.get("data") or {}))
        await self.broker.publish(cmd.to_bytes(), self.settings.topic(CRM_COMMANDS), key=aggregate.encode(),
                                  headers={"junction-type": cmd.type})
        return await self._outcome(workspace_id, cmd, collection)

    async def _outcome(self, workspace_id: str, cmd: CommandEnvelope, collection: str) -> dict[str, Any]:
        try:
            answer = await self.peers.call("GET", "crm", f"/commands/{cmd.command_id}", workspace_id,
                                           params={"collection": collection, "timeout_s": "20"}, timeout_s=30)
        except PeerUnavailable as exc:
            raise StepError("network", "CRM_UNAVAILABLE", str(exc)) from exc
        body = answer.body if isinstance(answer.body, dict) else {}
        if not answer.ok or body.get("status") == "pending":
            raise StepError("timeout", "CRM_PENDING", "the crm did not record the change in time",
                            {"command_id": cmd.command_id})
        outcome = body.get("outcome") or {}
        if outcome.get("status") != "succeeded":
            error = outcome.get("error") or {}
            raise StepError("http_4xx", str(error.get("code", "CRM_REJECTED")),
                            str(error.get("message", "the crm refused the change")), error.get("details") or {})
        resource = body.get("resource") or {}
        return {"id": cmd.aggregate_id, "command_id": cmd.command_id, "resource": resource}

"""Every domain event type Junction publishes; each service declares its own, the webhooks service serves them."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from crm_contracts.bi import BI_EVENTS
from crm_contracts.crm import CRM_RESOURCES
from crm_contracts.events import json_schemas as crm_schemas
from junction_common.contracts.resources import ResourceContract
from webhooks_contracts.declarations import WEBHOOK_EVENT_TYPES
from webhooks_contracts.events import json_schemas as webhooks_schemas

# Categories by resource family; anything else in the CRM service is `crm`.
_CATEGORY = {"support": "support", "cms": "cms", "marketing": "cms", "analytics": "analytics",
             "accounting": "accounting", "assets": "assets", "bi": "bi"}
_SPECIAL = {
    "contact": ("contact.created",),
    "lead": ("lead.converted",),
    "invoice": ("invoice.payment_applied", "invoice.paid"),
    "asset": ("asset.completed",),
    **BI_EVENTS,
}


@dataclass(frozen=True)
class EventType:
    key: str
    category: str
    description: str
    # The payload model's current version and JSON Schema (every built-in type has one, see docs/events.md).
    schema_version: int | None = None
    schema: dict[str, Any] | None = None


def _category(contract: ResourceContract) -> str:
    family = contract.path.removeprefix("/v1/").split("/", 1)[0]
    return _CATEGORY.get(family, "crm")


def _types(contract: ResourceContract) -> list[str]:
    keys = [f"{contract.name}.created"]
    if contract.operations.update:
        keys.append(f"{contract.name}.updated")
    if contract.operations.archive:
        keys.append(f"{contract.name}.archived")
    return keys + list(_SPECIAL.get(contract.name, ()))


@functools.cache
def event_catalogue() -> tuple[EventType, ...]:
    """Every event type with its category and, when typed, its payload's version and JSON Schema;
    `<resource>.created` and friends come from the declarations."""
    schemas = {s["type"]: s for s in [*crm_schemas(), *webhooks_schemas()]}

    def typed(key: str, category: str, description: str) -> EventType:
        found = schemas.get(key, {})
        return EventType(key, category, description, found.get("schema_version"), found.get("schema"))

    found = [typed("contact.created", "crm", "A CRM contact was created.")]
    for contract in CRM_RESOURCES:
        for key in _types(contract):
            noun, verb = (part.replace("_", " ") for part in key.rsplit(".", 1))
            found.append(typed(key, _category(contract), f"A {noun} was {verb}."))
    found += [typed(key, "webhooks", description) for key, description in WEBHOOK_EVENT_TYPES]
    return tuple(found)

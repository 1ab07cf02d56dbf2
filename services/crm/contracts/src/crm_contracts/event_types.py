"""Every event type the crm publishes, with its category and its payload's version and JSON Schema.

Declared under the `junction.event_types` entry points (this package's pyproject): the webhooks service lists
them and lets endpoints subscribe to them (junction_common.contracts.event_types).
"""

from __future__ import annotations

from crm_contracts.bi import BI_EVENTS
from crm_contracts.crm import CRM_RESOURCES
from crm_contracts.events import json_schemas
from junction_common.contracts.event_types import EventType
from junction_common.contracts.resources import ResourceContract

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


def _declared() -> list[EventType]:
    schemas = {s["type"]: s for s in json_schemas()}

    def typed(key: str, category: str, description: str) -> EventType:
        found = schemas.get(key, {})
        return EventType(key, category, description, found.get("schema_version"), found.get("schema"))

    found = [typed("contact.created", "crm", "A CRM contact was created.")]
    for contract in CRM_RESOURCES:
        for key in _types(contract):
            noun, verb = (part.replace("_", " ") for part in key.rsplit(".", 1))
            found.append(typed(key, _category(contract), f"A {noun} was {verb}."))
    return found


EVENT_TYPES = _declared()

"""Upcasters of crm events: pure `upcast_v1_v2(data) -> data` per shape; stored events are never rewritten.

Version 1 carried the request body (created) or the changed fields (every other event) as `data`. Version 2
wraps them: `{"record": ...}` for a creation, `{"changes": ...}` for a change. A version 1 change did not
carry the whole record, and an upcaster cannot invent it, so its `record` stays absent; folds and projections
apply `changes`, which every version carries.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from crm_contracts.events import EVENT_MODELS
from junction_common.upcasting import UpcasterRegistry

Data = dict[str, Any]


def upcast_record_created_v1_v2(data: Data) -> Data:
    """A v1 `<resource>.created` held the record's fields; the read model showed it not archived."""
    return {"record": {**data, "archived": False}}


def upcast_contact_created_v1_v2(data: Data) -> Data:
    """A v1 `contact.created` held the contact's fields (a contact has no archived flag)."""
    return {"record": dict(data)}


def upcast_change_v1_v2(data: Data) -> Data:
    """A v1 change (`.updated`, `.archived`, `invoice.paid`, ...) held the changed fields only."""
    return {"changes": dict(data)}


def upcast_v1_v2(event_type: str, data: Data) -> Data:
    """Any crm event's v1 data as v2."""
    if event_type == "contact.created":
        return upcast_contact_created_v1_v2(data)
    if event_type.endswith(".created"):
        return upcast_record_created_v1_v2(data)
    return upcast_change_v1_v2(data)


def registry() -> UpcasterRegistry:
    """Every crm event type's upcasters, to its current version."""
    upcasters = UpcasterRegistry()
    for event_type in EVENT_MODELS:
        upcasters.register(event_type, 1, partial(upcast_v1_v2, event_type))
    return upcasters


UPCASTERS = registry()

"""Building events from decisions: every payload goes through its model (crm_contracts.events), so an event
never carries a shape its type does not declare."""

from __future__ import annotations

from typing import Any

from crm_contracts.events import EVENT_MODELS
from junction_common.envelope import NewEvent

# What the read model adds to a record's own fields; a record's state keeps them apart.
META = ("archived", "created_at", "archived_at")


def _in_order(validated: Any, given: Any) -> Any:
    """The validated value, its keys in the order they were given (documents keep their field order)."""
    if isinstance(validated, dict) and isinstance(given, dict):
        return {key: validated[key] for key in given if key in validated}
    return validated


def build(event_type: str, **parts: dict[str, Any] | None) -> NewEvent:
    """Event `event_type` from its parts (`record`, `changes`), validated by its payload model.

    A part its model refuses is a bug in the decision, so the pydantic error propagates.
    """
    model = EVENT_MODELS[event_type]
    validated = model.model_validate(parts).model_dump(exclude_unset=True, by_alias=True)
    data = {name: _in_order(validated[name], value) for name, value in parts.items()}
    return NewEvent(type=event_type, data=data, schema_version=model.schema_version)

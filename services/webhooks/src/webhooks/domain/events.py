"""Building events from decisions: every payload goes through its model (webhooks_contracts.events), so an
event never carries a shape its type does not declare (a secret in a record is refused)."""

from __future__ import annotations

from typing import Any

from junction_common.envelope import NewEvent
from webhooks_contracts.events import EVENT_MODELS


def _in_order(validated: Any, given: Any) -> Any:
    """The validated value, its keys in the order they were given (documents keep their field order)."""
    if isinstance(validated, dict) and isinstance(given, dict):
        return {key: validated[key] for key in given if key in validated}
    return validated


def build(event_type: str, **parts: Any) -> NewEvent:
    """Event `event_type` from its parts (`record`, `changes`, internal secret fields), validated by its model.

    A part its model refuses is a bug in the decision, so the pydantic error propagates.
    """
    model = EVENT_MODELS[event_type]
    validated = model.model_validate(parts).model_dump(exclude_unset=True)
    data = {name: _in_order(validated[name], value) for name, value in parts.items()}
    return NewEvent(type=event_type, data=data, schema_version=model.schema_version)

"""Building events from decisions: every payload goes through its model (connections_contracts.events), so an
event never carries a shape its type does not declare (a secret in a record is refused)."""

from __future__ import annotations

from typing import Any

from connections_contracts.events import EVENT_MODELS
from junction_common.envelope import NewEvent


def build(event_type: str, **parts: Any) -> NewEvent:
    """Event `event_type` from its parts (`record`, `changes`, `credentials_sealed`), validated by its model.

    A part its model refuses is a bug in the decision, so the pydantic error propagates."""
    model = EVENT_MODELS[event_type]
    validated = model.model_validate(parts).model_dump(mode="json", exclude_unset=True)
    data = {name: validated[name] for name in parts}
    return NewEvent(type=event_type, data=data, schema_version=model.schema_version)

"""Upcasters of webhooks events: pure `upcast_v1_v2(data) -> data` per shape; stored events are never rewritten.

Version 1 carried the command's fields as `data`, the sealed secret among them: a creation the endpoint's fields
(or the event type's), a change the changed fields, a rotation the new sealed secret, its preview and the
previous secrets. Version 2 moves the secrets to their internal fields and wraps the rest: `{"record": ...}`
for a creation, `{"changes": ...}` for a change. A version 1 change did not carry the whole endpoint, and an
upcaster cannot invent it, so its `record` stays absent; folds and projections apply `changes`.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from junction_common.upcasting import UpcasterRegistry
from webhooks_contracts import declarations as wh
from webhooks_contracts.events import EVENT_MODELS, endpoint_record

Data = dict[str, Any]


def upcast_endpoint_created_v1_v2(data: Data) -> Data:
    """A v1 creation held the endpoint's fields and its sealed secret; the API showed it not deleted."""
    return {"record": endpoint_record(data, [], deleted=False, created_at=None),
            "secret_sealed": data["secret_sealed"]}


def upcast_secret_rotated_v1_v2(data: Data) -> Data:
    """A v1 rotation held the new sealed secret, its preview and the previous secrets, side by side."""
    return {"changes": {"signing_secret_preview": data["signing_secret_preview"]},
            "secret_sealed": data["secret_sealed"], "previous_secrets": list(data["previous_secrets"])}


def upcast_event_type_registered_v1_v2(data: Data) -> Data:
    """A v1 registration held the key, category and description."""
    return {"record": {**data, "custom": True}}


def upcast_change_v1_v2(data: Data) -> Data:
    """A v1 change (`.updated`, `.deleted`, `.disabled`) held the changed fields only."""
    return {"changes": dict(data)}


_BY_TYPE = {
    "webhook_endpoint.created": upcast_endpoint_created_v1_v2,
    "webhook_endpoint.secret_rotated": upcast_secret_rotated_v1_v2,
    "integration_event_type.registered": upcast_event_type_registered_v1_v2,
}


def upcast_v1_v2(event_type: str, data: Data) -> Data:
    """Any webhooks event's v1 data as v2."""
    return _BY_TYPE.get(event_type, upcast_change_v1_v2)(data)


def registry() -> UpcasterRegistry:
    """Every stored webhooks event type's upcasters, to its current version (`webhook.test` is never stored)."""
    upcasters = UpcasterRegistry()
    for event_type in EVENT_MODELS:
        if event_type != wh.TEST_EVENT:
            upcasters.register(event_type, 1, partial(upcast_v1_v2, event_type))
    return upcasters


UPCASTERS = registry()

"""Typed custom provider events, one payload model per type with its `schema_version` (see docs/events.md).

Shapes (version 1): `custom_provider.registered` and `custom_provider.replaced` carry `{"record": {"type",
"manifest"}}` (the manifest as validated, JSON; it holds no secret); `custom_provider.deleted` carries
`{"record": {"type", "deleted": true}}`: the workspace stops finding it at once, the history stays.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

CURRENT_VERSION = 1
_CLOSED = ConfigDict(extra="forbid")


class Payload(BaseModel):
    model_config = _CLOSED
    schema_version: ClassVar[int] = CURRENT_VERSION


class ProviderRecord(BaseModel):
    model_config = _CLOSED
    type: str
    manifest: dict[str, Any] | None = None
    deleted: bool = False


class CustomProviderRegistered(Payload):
    """A workspace registered a private provider manifest."""

    record: ProviderRecord


class CustomProviderReplaced(Payload):
    """A workspace replaced its private provider's manifest."""

    record: ProviderRecord


class CustomProviderDeleted(Payload):
    """A workspace deleted its private provider."""

    record: ProviderRecord


EVENT_MODELS: dict[str, type[Payload]] = {
    "custom_provider.registered": CustomProviderRegistered,
    "custom_provider.replaced": CustomProviderReplaced,
    "custom_provider.deleted": CustomProviderDeleted,
}
DESCRIPTIONS = {
    "custom_provider.registered": "A workspace registered a private provider manifest.",
    "custom_provider.replaced": "A workspace replaced a private provider's manifest.",
    "custom_provider.deleted": "A workspace deleted a private provider.",
}

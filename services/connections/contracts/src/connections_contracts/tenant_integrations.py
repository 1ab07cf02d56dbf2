"""Tenant integrations (integrations-api.txt, "Integration configuration"; workflow-api.txt's integrations): a
workspace's configured integration of one catalogue provider (`service`), its settings validated against that
provider's settings schema, the event types it synchronizes, and its inbound API key.

Named `tenant_integration` everywhere (commands, events, collection) so it never clashes with the webhooks
service's "integration events". Settings a schema marks `writeOnly` (keys, secrets) are sealed by the vault in
the service and never answered back; the inbound key is shown once (create, regenerate-key) and stored as a hash.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

AGGREGATE = "tenant_integration"
COLLECTION = "tenant_integrations"  # the read model (projection) of the tenant integration aggregate
ID_PREFIX = "int_"

CREATE = "tenant_integration.create"
UPDATE = "tenant_integration.update"
REGENERATE_KEY = "tenant_integration.regenerate_key"
RECORD_TEST = "tenant_integration.record_test"
DELETE = "tenant_integration.delete"
ROTATE_KEYS = "tenant_integration.rotate_keys"  # its sealed settings re-wrapped under the vault's active key
COMMANDS = (CREATE, UPDATE, REGENERATE_KEY, RECORD_TEST, DELETE, ROTATE_KEYS)
# An event a tenant's own system pushes to its integration with the inbound key (one stream per delivery).
INBOUND_AGGREGATE = "tenant_integration_inbound"
RECEIVE_INBOUND = "tenant_integration_inbound.receive"

EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]{0,40}(\.[a-z0-9_]{1,40}){1,3}$"  # `order.created`, `contact.updated`

_CLOSED = ConfigDict(extra="forbid")


class Synchronization(BaseModel):
    """One event type the integration synchronizes, on or off."""

    model_config = _CLOSED

    eventType: str = Field(pattern=EVENT_TYPE_PATTERN)
    enabled: bool = True


Synchronizations = Field(default=None, max_length=100)
Settings = Field(default=None, max_length=50)


class IntegrationCreate(BaseModel):
    """integrations-api.txt, Create integration: `service` is a provider type of GET /v1/integrations/available."""

    model_config = _CLOSED

    service: str = Field(min_length=1, max_length=64)
    enabled: bool = True
    name: str | None = Field(default=None, min_length=1, max_length=200)
    settings: dict[str, Any] = Field(default_factory=dict, max_length=50)
    synchronizations: list[Synchronization] = Field(default_factory=list, max_length=100)


class IntegrationUpdate(BaseModel):
    """integrations-api.txt, Update integration: any field; `settings` are merged over the saved ones (a field
    given replaces, `null` removes it, an absent one stays: secrets need not be sent again), then validated."""

    model_config = _CLOSED

    enabled: bool | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    settings: dict[str, Any] | None = Settings
    synchronizations: list[Synchronization] | None = Synchronizations


class IntegrationListQuery(BaseModel):
    """Get all integrations (integrations-api) / List Connected Integrations (workflow-api): pages as
    workflow-api's success format has them (`meta: {page, limit, total}`)."""

    model_config = _CLOSED

    page: int = Field(default=1, ge=1, le=100_000)
    limit: int = Field(default=20, ge=1, le=100)
    service: str | None = Field(default=None, max_length=64)
    enabled: bool | None = None


class InboundEvent(BaseModel):
    """An event pushed with the integration's inbound key (`POST /v1/integrations/inbound/{key}`, Junction's own):
    its type must be one of the integration's enabled synchronizations; `id`, when given, records it once."""

    model_config = _CLOSED

    eventType: str = Field(pattern=EVENT_TYPE_PATTERN)
    id: str | None = Field(default=None, min_length=1, max_length=200)
    data: dict[str, Any] = Field(default_factory=dict)

"""integrations-api.txt's event monitoring bodies: registering a custom event type, filtering integration events.

The gateway validates with them at the edge; the webhooks service reads the same shapes."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class EventTypeRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "key": "external.publish.completed", "category": "publishing",
        "description": "External publishing workflow completed."}]})

    key: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$", max_length=128)
    category: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    description: str = Field(default="", max_length=500)


class EventFilter(BaseModel):
    """Body of filterIntegrationEvents."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, json_schema_extra={"examples": [{
        "integrationId": "integration-id", "status": "failed", "from": "2025-01-01T00:00:00Z",
        "to": "2025-01-31T23:59:59Z", "page": 1, "limit": 50}]})

    integration_id: str | None = Field(default=None, alias="integrationId", max_length=64)
    status: Literal["queued", "processing", "succeeded", "failed", "cancelled"] | None = None
    event_type: str | None = Field(default=None, alias="eventType", max_length=128)
    start: AwareDatetime | None = Field(default=None, alias="from")
    end: AwareDatetime | None = Field(default=None, alias="to")
    page: int = Field(default=1, ge=1, le=100000)
    limit: int = Field(default=50, ge=1, le=200)

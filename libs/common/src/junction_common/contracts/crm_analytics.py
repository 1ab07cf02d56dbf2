"""Analytics governance contracts (workspace-api.txt, group Analytics Governance): event and property definitions."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from junction_common.contracts.crm_common import Body, Name, Text
from junction_common.contracts.resources import Filter, Operations, ResourceContract

PROPERTY_TYPES = ("string", "number", "integer", "boolean", "date", "datetime", "object", "array")
EventName = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[a-z][a-z0-9_.:-]*$")]
PropertyKey = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[a-z][a-z0-9_]*$")]
Owner = Annotated[str, Field(min_length=1, max_length=128)]


class EventDefinitionCreate(Body):
    name: EventName
    description: Text | None = None
    owner: Owner | None = None
    properties: list[PropertyKey] = Field(default_factory=list, max_length=200)


class PropertyDefinitionCreate(Body):
    key: PropertyKey
    type: Literal[PROPERTY_TYPES]  # type: ignore[valid-type]
    description: Text | None = None
    required: bool = False
    display_name: Name | None = None


ANALYTICS_EVENT = ResourceContract(
    name="analytics_event", prefix="evt", path="/v1/analytics/events", collection="analytics_events",
    create_model=EventDefinitionCreate,
    operations=Operations(list="listAnalyticsEvents", create="defineAnalyticsEvent"),
    read_scope="analytics:read", write_scope="analytics:write", filters=(Filter("owner"),),
    search_fields=("name", "description"), tag="Analytics Governance")
ANALYTICS_PROPERTY = ResourceContract(
    name="analytics_property", prefix="prop", path="/v1/analytics/properties", collection="analytics_properties",
    create_model=PropertyDefinitionCreate, operations=Operations(create="defineAnalyticsProperty"),
    read_scope="analytics:read", write_scope="analytics:write", search_fields=("key", "description"),
    tag="Analytics Governance")

ANALYTICS_RESOURCES: tuple[ResourceContract, ...] = (ANALYTICS_EVENT, ANALYTICS_PROPERTY)

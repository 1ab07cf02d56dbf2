"""Analytics governance contracts (workspace-api.txt, group Analytics Governance): event and property definitions."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from crm_contracts.common import Body, Name, Text
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


class EventPayload(Body):
    name: EventName
    properties: dict[PropertyKey, object] = Field(default_factory=dict)


def _type_ok(kind: str, value: object) -> bool:
    checks: dict[str, tuple[type, ...]] = {"string": (str,), "date": (str,), "datetime": (str,),
                                           "number": (int, float), "integer": (int,), "boolean": (bool,),
                                           "object": (dict,), "array": (list,)}
    if kind in ("number", "integer") and isinstance(value, bool):
        return False
    return isinstance(value, checks.get(kind, (object,)))


def validate_payload(event: dict[str, object] | None, properties: dict[str, dict[str, object]],
                     payload: EventPayload) -> list[dict[str, object]]:
    """Every missing required property, unknown property and type mismatch of `payload` (pure)."""
    if event is None:
        return [{"code": "unknown_event", "event": payload.name, "pointer": "/name"}]
    allowed = [str(k) for k in event.get("properties", []) or []]  # type: ignore[attr-defined]
    errors: list[dict[str, object]] = []
    for key in allowed:
        if properties.get(key, {}).get("required") and key not in payload.properties:
            errors.append({"code": "missing_required_property", "property": key, "pointer": f"/properties/{key}"})
    for key, value in payload.properties.items():
        if key not in allowed:
            errors.append({"code": "unknown_property", "property": key, "pointer": f"/properties/{key}"})
        elif key in properties and not _type_ok(str(properties[key].get("type")), value):
            errors.append({"code": "type_mismatch", "property": key, "expected": properties[key].get("type"),
                           "pointer": f"/properties/{key}"})
    return errors

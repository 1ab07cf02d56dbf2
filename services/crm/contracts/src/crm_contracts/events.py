"""Typed crm events: one payload model per event type, each with its `schema_version`.

Shapes (version 2):
- `<resource>.created`: `{"record": {...}}`, the record as the API presents it after the change, without its
  `id` and the timestamps the event's own `occurred_at` gives (`created_at`, `updated_at`).
- every other event of a record (`.updated`, `.archived`, `invoice.paid`, `lead.converted`, ...):
  `{"record": {...}, "changes": {...}}`, the record after the change (it carries `created_at`, and
  `archived_at` once archived, from earlier events) and the fields this event changed (PATCH semantics:
  a dict value merges one level deep, others replace).
Record models derive from each `ResourceContract`'s request models (every field optional, enums widened to
strings since events may set values no request can, fields the crm adds allowed). Version 1 (the request body
as `data`) still loads through `crm_contracts.event_upcasters`.
"""

from __future__ import annotations

import types
from typing import Any, ClassVar, Generic, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, create_model

from crm_contracts.assets import ASSET
from crm_contracts.bi import BI_EXPORT
from crm_contracts.billing import INVOICE
from crm_contracts.crm import CRM_RESOURCES, LEAD, ContactCreate
from junction_common.contracts.event_types import schemas_of
from junction_common.contracts.resources import ResourceContract

CURRENT_VERSION = 2
R = TypeVar("R", bound=BaseModel)
C = TypeVar("C", bound=BaseModel)
_OPEN = ConfigDict(extra="allow", populate_by_name=True, serialize_by_alias=True)


class Payload(BaseModel):
    """Every crm event payload: no field beyond its shape; `schema_version` is the shape's version."""

    model_config = ConfigDict(extra="forbid")
    schema_version: ClassVar[int] = CURRENT_VERSION


class Created(Payload, Generic[R]):
    """A record came to be: the record as the API presents it."""

    record: R


class Changed(Payload, Generic[R, C]):
    """A record changed: the record after the change and the fields that changed.

    `record` is absent only on events upcast from version 1, which did not carry it.
    """

    record: R | None = None
    changes: C


class RecordMeta(BaseModel):
    """What the read model adds to a record's own fields (timestamps of earlier events included)."""

    model_config = _OPEN
    archived: bool = False
    created_at: str | None = None
    archived_at: str | None = None


def _widen(annotation: Any) -> Any:
    """A field's type as events may hold it: an enum becomes a string (events set values no request can)."""
    origin = get_origin(annotation)
    if origin is Literal:
        return str
    if origin in (Union, types.UnionType):
        widened = tuple(_widen(a) for a in get_args(annotation))
        return Union[widened]  # noqa: UP007 - built from a runtime tuple
    return annotation


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def fields_model(name: str, *models: type[BaseModel] | None, suffix: str = "Fields") -> type[BaseModel]:
    """Every field of `models` (a resource's create and update bodies), optional, unknown ones allowed."""
    definitions: dict[str, Any] = {}
    for model in models:
        for field_name, info in (model.model_fields if model else {}).items():
            default = Field(default=None, alias=info.alias) if info.alias else None
            definitions.setdefault(field_name, (Union[_widen(info.annotation), None], default))  # noqa: UP007
    return create_model(f"{_camel(name)}{suffix}", __config__=_OPEN, **definitions)


def record_model(name: str, fields: type[BaseModel]) -> type[BaseModel]:
    """The record of resource `name` as events carry it: its fields and what the read model adds."""
    return create_model(f"{_camel(name)}Record", __base__=(fields, RecordMeta))


# -- the changes of events beyond create/update/archive ---------------------------------------------------

class AssetCompletedChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["available"]
    byte_size: int
    checksum_sha256: str


class PaymentAppliedChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_paid_cents: int
    balance_due_cents: int
    status: Literal["paid", "partially_paid"]
    last_payment_id: str


class InvoicePaidChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["paid"]


class LeadConvertedChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["converted"]
    contact_id: str
    company_id: str | None
    deal_id: str | None


class ExportFinishedChanges(BaseModel):
    """An export's result: its status and when it finished, plus what the export worker reported."""

    model_config = ConfigDict(extra="allow")
    status: Literal["completed", "failed"]
    finished_at: str


class ArchivedChanges(BaseModel):
    """Archiving sets status `archived` where that is a documented status, else changes no field."""

    model_config = ConfigDict(extra="forbid")
    status: Literal["archived"] | None = None


# -- the registry ---------------------------------------------------------------------------------------

FIELDS: dict[str, type[BaseModel]] = {c.name: fields_model(c.name, c.create_model, c.update_model)
                                      for c in CRM_RESOURCES}
RECORDS: dict[str, type[BaseModel]] = {name: record_model(name, f) for name, f in FIELDS.items()}
CONTACT_RECORD = fields_model("contact", ContactCreate, suffix="Record")  # a contact has no archived flag
SPECIAL_CHANGES: dict[tuple[str, str], type[BaseModel]] = {
    (ASSET.name, "completed"): AssetCompletedChanges,
    (INVOICE.name, "payment_applied"): PaymentAppliedChanges,
    (INVOICE.name, "paid"): InvoicePaidChanges,
    (LEAD.name, "converted"): LeadConvertedChanges,
    (BI_EXPORT.name, "completed"): ExportFinishedChanges,
    (BI_EXPORT.name, "failed"): ExportFinishedChanges,
}


def _lifecycle(contract: ResourceContract) -> dict[str, type[Payload]]:
    record, fields = RECORDS[contract.name], FIELDS[contract.name]
    return {f"{contract.name}.created": Created[record],  # type: ignore[valid-type]
            f"{contract.name}.updated": Changed[record, fields],  # type: ignore[valid-type]
            f"{contract.name}.archived": Changed[record, ArchivedChanges]}  # type: ignore[valid-type]


EVENT_MODELS: dict[str, type[Payload]] = {
    "contact.created": Created[CONTACT_RECORD],  # type: ignore[valid-type]
    **{k: v for c in CRM_RESOURCES for k, v in _lifecycle(c).items()},
    **{f"{name}.{verb}": Changed[RECORDS[name], changes]  # type: ignore[valid-type]
       for (name, verb), changes in SPECIAL_CHANGES.items()},
}


def version_of(event_type: str) -> int:
    """The current schema version of `event_type`."""
    return EVENT_MODELS[event_type].schema_version


def json_schemas() -> list[dict[str, Any]]:
    """Every crm event type with its current version and the JSON Schema of its payload, sorted by type."""
    return schemas_of(EVENT_MODELS)

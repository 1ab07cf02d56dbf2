"""What a BI query may read: the CRM read models a dataset can name as its source with the type of each field,
a dataset's own columns, and the check of a query's fields and aggregations against them (pure).

A source is a CRM collection (`deals`, `contacts`, `invoices`, `tickets`...) or a sync table (`sync.<table slug>`),
whose columns and rows the sync service gives when a query runs: a dataset over one is checked against its
columns then, not when it is made (its base is open until then).
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from crm_contracts.bi import BI_RESOURCES, Aggregation, QueryShape
from crm_contracts.crm import CRM_RESOURCES
from junction_common.contracts.resources import ResourceContract

NUMBER, STRING, BOOLEAN, OBJECT, ARRAY, ANY = "number", "string", "boolean", "object", "array", "any"
Error = dict[str, Any]
_COMMON = {"id": STRING, "created_at": STRING, "updated_at": STRING}
# Fields the crm service computes or keeps outside the request models.
_EXTRA: dict[str, dict[str, str]] = {
    "contacts": {"name": STRING, "email": STRING, "company_name": STRING, "company_id": STRING, "phone": STRING,
                 "notes": STRING, "custom_fields": OBJECT},
    "invoices": {"subtotal_cents": NUMBER, "tax_cents": NUMBER, "total_cents": NUMBER, "amount_paid_cents": NUMBER,
                 "balance_due_cents": NUMBER, "status": STRING},
    "tickets": {"first_response_at": STRING, "first_response_minutes": NUMBER,
                "first_response_target_minutes": NUMBER, "first_response_breached": BOOLEAN},
    "assets": {"byte_size": NUMBER, "checksum_sha256": STRING, "status": STRING},
}


@dataclass(frozen=True)
class Base:
    """The rows a query starts from: their fields (name -> type), and whether `custom_fields.<key>` exist."""

    fields: dict[str, str]
    custom_fields: bool = False
    measures: dict[str, Aggregation] = field(default_factory=dict)
    open: bool = False  # a sync table's, before its columns are known: any field may exist

    def type_of(self, name: str) -> str | None:
        if name in self.fields:
            return self.fields[name]
        if (self.custom_fields and name.startswith("custom_fields.")) or self.open:
            return ANY
        return None


def _kind(tp: Any) -> str:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        kinds = {_kind(a) for a in get_args(tp) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else ANY
    if origin is Annotated:
        return _kind(get_args(tp)[0])
    if origin is Literal:
        kinds = {_kind(type(v)) for v in get_args(tp)}
        return kinds.pop() if len(kinds) == 1 else ANY
    if origin in (list, tuple, set):
        return ARRAY
    if origin is dict or (isinstance(tp, type) and issubclass(tp, BaseModel | dict)):
        return OBJECT
    return {bool: BOOLEAN, int: NUMBER, float: NUMBER, str: STRING}.get(tp, ANY)


def _contract_fields(contract: ResourceContract) -> dict[str, str]:
    found = dict(_COMMON)
    for model in (contract.create_model, contract.update_model):
        for name, info in (model.model_fields if model else {}).items():
            found.setdefault(info.alias or name, _kind(info.annotation))
    for name, value in contract.defaults.items():
        found.setdefault(name, _kind(type(value)))
    if contract.parent_param:
        found[contract.parent_param] = STRING
    return {**found, **_EXTRA.get(contract.collection, {})}


_BI = {c.collection for c in BI_RESOURCES}
SOURCES: dict[str, Base] = {
    "contacts": Base({**_COMMON, **_EXTRA["contacts"]}, custom_fields=True),
    **{c.collection: Base(_contract_fields(c), c.custom_fields) for c in CRM_RESOURCES if c.collection not in _BI},
}


# The scope a key needs to read each source's records, besides the BI scope (a source is a CRM resource).
# Contacts have hand-written routes (no declaration), read with `crm:read`.
SOURCE_SCOPES: dict[str, str] = {"contacts": "crm:read",
                                 **{c.collection: c.read_scope for c in CRM_RESOURCES if c.collection in SOURCES}}


_SYNC = re.compile(r"^sync[.:]([a-z0-9][a-z0-9_]{0,62})$")
# A sync table's column types as BI sees them.
_SYNC_KINDS = {"integer": NUMBER, "number": NUMBER, "boolean": BOOLEAN, "object": OBJECT, "array": ARRAY}
SYNC_SCOPE = "tables.view"  # reading a sync table's rows


def sync_slug(source: str | None) -> str | None:
    """The table slug of a `sync.<slug>` source, else None."""
    found = _SYNC.match(source or "")
    return found.group(1) if found else None


def sync_base(columns: list[dict[str, Any]]) -> Base:
    """A sync table's columns (`[{"name", "type"}]` as the sync service gives them) as a source's fields."""
    return Base({str(c["name"]): _SYNC_KINDS.get(str(c.get("type")), STRING) for c in columns})


def source_base(source: str) -> Base:
    """The fields of a known source (a sync table's are open until a query reads its columns)."""
    return Base({}, open=True) if sync_slug(source) else SOURCES[source]


def source_error(source: str) -> str | None:
    """Why `source` cannot be read, or None."""
    if source.startswith(("sync.", "sync:")):
        return None if sync_slug(source) else "A sync table source is `sync.<table slug>` (lowercase letters, " \
            "digits and underscores)."
    if source not in SOURCES:
        return f"Unknown source {source!r}; known sources: {', '.join(sorted(SOURCES))}."
    return None


def _row_kind(value: Any) -> str:
    return _kind(type(value)) if value is not None else ANY


def dataset_base(dataset: Mapping[str, Any], table: Base | None = None) -> Base:
    """The columns a saved dataset exposes (its `fields`, else all of its source's; a mock's from its rows; a sync
    table's from `table`, its columns, open when they are not known)."""
    if dataset.get("kind") == "mock":
        columns: dict[str, str] = {}
        for row in dataset.get("rows") or []:
            for name, value in row.items():
                if columns.get(name, ANY) == ANY:
                    columns[name] = _row_kind(value)
        return Base(columns)
    source = table or (source_base(str(dataset["source"])) if sync_slug(dataset.get("source"))
                       else SOURCES.get(str(dataset.get("source")), Base({})))
    chosen = dataset.get("fields")
    columns = {k: v for k, v in source.fields.items() if chosen is None or k in chosen}
    columns |= {k: ANY for k in chosen or () if k.startswith("custom_fields.")}
    measures = {m["name"]: Aggregation(aggregation=m["aggregation"], field=m.get("field"), alias=m["name"])
                for m in dataset.get("measures") or []}
    return Base(columns, source.custom_fields and chosen is None, measures, source.open and chosen is None)


def unknown_field(base: Base, name: str, pointer: str) -> Error | None:
    if base.type_of(name) is None:
        return {"pointer": pointer, "field": name, "message": f"Unknown field {name!r}."}
    return None


def aggregation_error(base: Base, agg: Aggregation, pointer: str) -> Error | None:
    if agg.field is None:
        return None
    kind = base.type_of(agg.field)
    if kind is None:
        return {"pointer": f"{pointer}/field", "field": agg.field, "message": f"Unknown field {agg.field!r}."}
    if agg.aggregation in ("sum", "avg") and kind not in (NUMBER, ANY):
        return {"pointer": f"{pointer}/field", "field": agg.field,
                "message": f"{agg.aggregation} needs a numeric field; {agg.field!r} is a {kind}."}
    if agg.aggregation in ("min", "max") and kind in (OBJECT, ARRAY, BOOLEAN):
        return {"pointer": f"{pointer}/field", "field": agg.field,
                "message": f"{agg.aggregation} needs a number or a text field; {agg.field!r} is a {kind}."}
    return None


def columns_of(shape: QueryShape, base: Base) -> list[str]:
    """The result's columns: groups then aggregates, or the selected (or all) fields of plain rows."""
    aggregates = [a.column for a in shape.aggregations] + list(shape.measures)
    if shape.group_by or aggregates:
        return [*shape.group_by, *(aggregates or ["count"])]
    return list(shape.fields) or [k for k in base.fields if k != "custom_fields"]


def duplicate_columns(shape: QueryShape, columns: list[str], pointer: str = "") -> list[Error | None]:
    """Each result column appears once: a group and an aggregate (or two aggregates) may not share a name."""
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if not repeated or not (shape.group_by or shape.aggregations or shape.measures):
        return []
    at = "/aggregations" if shape.aggregations else "/group_by"
    return [{"pointer": f"{pointer}{at}", "field": name,
             "message": f"The result would have two columns named {name!r}; give an aggregation another alias."}
            for name in repeated]


def query_errors(shape: QueryShape, base: Base, pointer: str = "") -> list[Error]:
    """Every unknown field, unknown measure, or aggregation that does not fit its field's type."""
    found: list[Error | None] = []
    found += [unknown_field(base, c.field, f"{pointer}/filters/{i}/field") for i, c in enumerate(shape.filters)]
    found += [unknown_field(base, g, f"{pointer}/group_by/{i}") for i, g in enumerate(shape.group_by)]
    found += [unknown_field(base, f, f"{pointer}/fields/{i}") for i, f in enumerate(shape.fields)]
    found += [aggregation_error(base, a, f"{pointer}/aggregations/{i}") for i, a in enumerate(shape.aggregations)]
    found += [None if m in base.measures else {"pointer": f"{pointer}/measures/{i}", "field": m,
                                                "message": f"Unknown measure {m!r}."}
              for i, m in enumerate(shape.measures)]
    if shape.fields and (shape.group_by or shape.aggregations or shape.measures):
        found.append({"pointer": f"{pointer}/fields", "message": "fields selects plain rows; a grouped or "
                      "aggregated result has its groups and aggregates as columns."})
    columns = columns_of(shape, base)
    found += duplicate_columns(shape, columns, pointer)
    grouped = bool(shape.group_by or shape.aggregations or shape.measures)
    for i, order in enumerate(shape.order_by):
        if order.field not in columns and (grouped or base.type_of(order.field) is None):
            found.append({"pointer": f"{pointer}/order_by/{i}/field", "field": order.field,
                          "message": f"order_by names a column of the result: {', '.join(columns)}."})
    return [e for e in found if e is not None]

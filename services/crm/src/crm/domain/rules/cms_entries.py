"""CMS entries: validated against their collection's field schema.

- The collection exists in the workspace (context `collection`).
- Every required field is present (on create; an update may not remove one; the entry's own `title` and
  `slug` count for fields of those names), no unknown field is given,
  and every value has its field's type (`select` values among the options, `reference` an id).
"""

from __future__ import annotations

from typing import Any

from crm.domain.record import Record
from crm.domain.rules.base import Context, Rule, reject
from junction_common.envelope import CommandEnvelope

_TEXT = ("string", "text", "markdown", "rich_text", "url", "email", "date", "datetime", "asset")


def _type_ok(spec: dict[str, Any], value: Any) -> bool:
    kind = spec["type"]
    if kind in _TEXT:
        return isinstance(value, str)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "select":
        return value in (spec.get("options") or ())
    if kind == "reference":
        return isinstance(value, str) and "_" in value
    return True  # json


def _matches_schema(cmd: CommandEnvelope, state: Record | None, context: Context) -> None:
    collection = context.get("collection")
    if collection is None:
        raise reject("The collection does not exist in this workspace.", "/collection_id")
    specs = {f["key"]: f for f in (collection.get("schema") or {}).get("fields") or ()}
    if "fields" not in cmd.data and state is not None:
        return
    fields: dict[str, Any] = cmd.data.get("fields") or {}
    for key, value in fields.items():
        if key not in specs:
            raise reject("The field is not in the collection's schema.", f"/fields/{key}", field=key)
        if value is not None and not _type_ok(specs[key], value):
            raise reject(f"The field must be a {specs[key]['type']}.", f"/fields/{key}", field=key,
                         expected=specs[key]["type"])
    # The entry's own title and slug satisfy schema fields of those names (the reference sends `title` at
    # the top level while its collection declares a required `title` field).
    own = {k: v for k, v in {**(state.fields if state else {}), **cmd.data}.items() if k in ("title", "slug")}
    merged = {**own, **((state.fields.get("fields") or {}) if state else {}), **fields}
    for key, spec in specs.items():
        if spec.get("required") and merged.get(key) in (None, ""):
            raise reject("A required field is missing.", f"/fields/{key}", field=key)


RULES: dict[str, list[Rule]] = {"cms_entry": [_matches_schema]}
UNIQUE: dict[str, tuple[str, ...]] = {}

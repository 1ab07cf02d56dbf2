"""Column types: inferred from values, widened when values disagree, and values coerced into a column's type.

Rules:
- Types: string, integer, number, boolean, datetime, date, object, array. A null says nothing about a type.
- Widening: integer + number -> number, date + datetime -> datetime, anything else that differs -> string.
  A type never narrows; `string` is the top.
- A change that widens an existing column is breaking (consumers of the old type may fail); a new column is not.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sync_contracts.tables import COLUMN_NAME

STRING = "string"
TYPES = ("string", "integer", "number", "boolean", "datetime", "date", "object", "array")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$")
_NUMERIC = {"integer", "number"}
_NAME = re.compile(COLUMN_NAME)
_INT64 = 2**63


def is_column(name: str) -> bool:
    """Whether `name` can be a column (letters, digits, `_`, `-`, spaces; no `.` or `$`; at most 128 long)."""
    return bool(_NAME.match(name))
_TEMPORAL = {"date", "datetime"}
_UNSEEN: Any = object()
_PLAIN: dict[type, str | None] = {type(None): None, bool: "boolean", int: "integer", float: "number", dict: "object",
                                  list: "array"}  # a value of exactly these types shows its type without a look


def type_of(value: Any) -> str | None:
    """The type a single value shows (None for null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    text = str(value)
    if _DATE.match(text):
        return "date"
    if _DATETIME.match(text):
        return "datetime"
    return STRING


def widen(current: str | None, seen: str | None) -> str | None:
    """The narrowest type holding both."""
    if current is None or current == seen:
        return seen if current is None else current
    if seen is None:
        return current
    if {current, seen} <= _NUMERIC:
        return "number"
    if {current, seen} <= _TEMPORAL:
        return "datetime"
    return STRING


def observe(records: list[dict[str, Any]]) -> dict[str, str]:
    """Each column's type across `records`, columns in order of first appearance (all-null columns: string); a
    field whose name cannot be a column stays in the raw record only."""
    seen: dict[str, str | None] = {}
    refused: set[str] = set()
    for record in records:
        for name, value in record.items():
            current = seen.get(name, _UNSEEN)
            if current == STRING:
                continue  # the top: nothing it shows can widen it (thousands of values per batch)
            if current is _UNSEEN:
                if name in refused or not is_column(name):
                    refused.add(name)
                    continue
                current = None
            kind = _PLAIN.get(type(value), _UNSEEN)
            seen[name] = widen(current, type_of(value) if kind is _UNSEEN else kind)
    return {name: kind or STRING for name, kind in seen.items()}


def coerce(value: Any, kind: str) -> Any:
    """`value` as a column of `kind` holds it: numbers in a string column become text, objects become JSON (an integer
    stays an integer in a number column: JSON has one number type)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT64 <= value < _INT64:
        return str(value)  # beyond what the database stores as a number
    if kind == STRING and not isinstance(value, str):
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict | list):
            return json.dumps(value, separators=(",", ":"), sort_keys=True)
        return str(value)
    return value


def parse_text(text: str, kind: str) -> Any:
    """A CSV cell read as a column of `kind` (empty is null); ValueError when it is not one."""
    if text == "":
        return None
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"not a boolean: {text!r}")
        return lowered in ("true", "1", "yes")
    if kind in ("object", "array"):
        parsed = json.loads(text)
        if type_of(parsed) != kind:
            raise ValueError(f"not an {kind}: {text!r}")
        return parsed
    if kind in _TEMPORAL and type_of(text) not in (kind, "date"):
        raise ValueError(f"not a {kind}: {text!r}")
    return text


def infer_text(text: str) -> Any:
    """A CSV cell of a column not yet typed: the value it most plainly is (numbers, booleans, else text)."""
    if text == "":
        return None
    for parse in (int, float):
        try:
            return parse(text)
        except ValueError:
            continue
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text

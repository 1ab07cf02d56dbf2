"""listTableRows' and lookupTableRows' parameters as queries on `data.<column>`: values typed by the column's type
(a `?value=10` matches the integer 10), unknown columns and operators refused."""

from __future__ import annotations

import re
from typing import Any

from junction_common.web.envelope import ApiError
from sync.domain.table_types import parse_text

Doc = dict[str, Any]
OPERATORS = {"eq": "$eq", "ne": "$ne", "gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte", "contains": "$regex"}


def _column(types: dict[str, str], name: str) -> str:
    if name not in types:
        raise ApiError("VALIDATION_ERROR", "No such column.", {"column": name, "columns": sorted(types)})
    return name


def typed(types: dict[str, str], column: str, text: str) -> Any:
    """`text` as a value of `column`'s type."""
    kind = types[column]
    try:
        return parse_text(text, kind) if kind not in ("object", "array") else text
    except ValueError as exc:
        raise ApiError("VALIDATION_ERROR", f"The value is not a {kind}.", {"column": column, "value": text}) from exc


def where(types: dict[str, str], filters: list[str], search: str | None) -> Doc:
    """`column:op:value` filters (all must hold) and a case-insensitive search in the text columns."""
    clauses: list[Doc] = []
    for item in filters:
        parts = item.split(":", 2)
        if len(parts) == 2:
            parts = [parts[0], "eq", parts[1]]
        if len(parts) != 3 or parts[1] not in OPERATORS:
            raise ApiError("VALIDATION_ERROR", "A filter is `column:op:value` with op one of "
                           + ", ".join(OPERATORS) + ".", {"filter": item})
        column, op, text = _column(types, parts[0]), parts[1], parts[2]
        if op == "contains":
            clauses.append({f"data.{column}": {"$regex": re.escape(text), "$options": "i"}})
        else:
            clauses.append({f"data.{column}": {OPERATORS[op]: typed(types, column, text)}})
    if search:
        text_columns = [c for c, kind in types.items() if kind in ("string", "date", "datetime")]
        pattern = {"$regex": re.escape(search), "$options": "i"}
        clauses.append({"$or": [{f"data.{c}": pattern} for c in text_columns] or [{"_id": None}]})
    if not clauses:
        return {}
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def sort_of(types: dict[str, str], sort: str | None) -> list[tuple[str, int]]:
    """`column` ascending, `-column` descending; `created_at`/`updated_at` sort by the row's own times."""
    if not sort:
        return [("created_at", 1), ("_id", 1)]
    direction = -1 if sort.startswith("-") else 1
    name = sort.lstrip("-+")
    field = name if name in ("created_at", "updated_at") else f"data.{_column(types, name)}"
    return [(field, direction), ("_id", 1)]

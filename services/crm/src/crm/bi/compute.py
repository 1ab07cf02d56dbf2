"""BI query computation over rows in memory (pure): filters, then groups with their aggregations (or plain
rows), then order and limit.

Semantics: a missing field is null; comparisons (gt/gte/lt/lte) hold only between two numbers or two strings
(ISO timestamps compare as text); `true` equals only `true`, never `1`; `contains` is a case-insensitive
substring of a text field (or membership in a list field, with the same equality). Groups are told apart by
type and value (`true` and `1` are two groups). Rows are ordered before the selected fields are taken, so plain
rows may be ordered by a field they do not show. count counts rows (or rows where its field is set); sum, avg,
min and max ignore nulls and are null when nothing is left, as in SQL.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from crm_contracts.bi import Aggregation, Condition, OrderBy, QueryShape
from crm_contracts.bi_fields import Base, columns_of

Row = dict[str, Any]
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt,
                                                   "lte": operator.le}


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[Row]
    row_count: int  # before the limit
    scanned: int


def value_of(row: Row, name: str) -> Any:
    """`stage`, or `custom_fields.tier` one level down."""
    if name in row:
        return row[name]
    head, _, tail = name.partition(".")
    inner = row.get(head)
    return inner.get(tail) if tail and isinstance(inner, dict) else None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def matches(row: Row, cond: Condition) -> bool:
    have, want = value_of(row, cond.field), cond.value
    if cond.op == "eq":
        return _equal(have, want)
    if cond.op == "ne":
        return not _equal(have, want)
    if cond.op == "in":
        return any(_equal(have, w) for w in want or [])  # type: ignore[union-attr]
    if cond.op == "contains":
        if isinstance(have, str) and isinstance(want, str):
            return want.lower() in have.lower()
        return isinstance(have, list) and any(_equal(item, want) for item in have)
    comparable = (_number(have) and _number(want)) or (isinstance(have, str) and isinstance(want, str))
    return comparable and _COMPARE[cond.op](have, want)


def aggregate(agg: Aggregation, rows: list[Row]) -> Any:
    if agg.aggregation == "count":
        return len(rows) if agg.field is None else sum(1 for r in rows if value_of(r, agg.field) is not None)
    values = [value_of(r, agg.field or "") for r in rows]
    numbers = [v for v in values if _number(v)]
    if agg.aggregation == "sum":
        return sum(numbers) if numbers else None
    if agg.aggregation == "avg":
        return sum(numbers) / len(numbers) if numbers else None
    candidates = numbers or [v for v in values if isinstance(v, str)]
    if not candidates:
        return None
    return min(candidates) if agg.aggregation == "min" else max(candidates)


def _group_key(value: Any) -> tuple[str, Any]:
    """(type tag, value): `true` and `1` (or `"1"`) are different groups; 1 and 1.0 are the same number."""
    if isinstance(value, dict | list):
        return "json", json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, bool):
        return "boolean", value
    return ("number", value) if _number(value) else (type(value).__name__, value)


def _grouped(rows: list[Row], group_by: list[str], aggs: list[Aggregation]) -> list[Row]:
    groups: dict[tuple[Any, ...], list[Row]] = {}
    for row in rows:
        groups.setdefault(tuple(_group_key(value_of(row, g)) for g in group_by), []).append(row)
    if not group_by and not groups:
        groups[()] = []  # an aggregate over no rows is still one row: count 0
    return [{**{g: value_of(members[0], g) if members else None for g in group_by},
             **{a.column: aggregate(a, members) for a in aggs}} for members in groups.values()]


def _sort_value(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return (2, value)
    if _number(value):
        return (0, value)
    return (1, value) if isinstance(value, str) else (3, str(value))


def _ordered(rows: list[Row], orders: Iterable[OrderBy]) -> list[Row]:
    """Stable multi-key sort; nulls last in either direction."""
    for order in reversed(list(orders)):
        nulls = [r for r in rows if value_of(r, order.field) is None]
        rest = [r for r in rows if value_of(r, order.field) is not None]
        rows = sorted(rest, key=lambda r: _sort_value(value_of(r, order.field)),
                      reverse=order.direction == "desc") + nulls
    return rows


def compute(rows: list[Row], shape: QueryShape, base: Base) -> Result:
    """The query's result over `rows` (already limited to the caller's workspace)."""
    kept = [r for r in rows if all(matches(r, c) for c in shape.filters)]
    columns = columns_of(shape, base)
    aggs = [*shape.aggregations, *(base.measures[m] for m in shape.measures)]
    if shape.group_by or aggs:
        out = _grouped(kept, shape.group_by, aggs or [Aggregation(aggregation="count")])
        out = _ordered(out, shape.order_by or [OrderBy(field=g) for g in shape.group_by])
        return Result(columns, out[: shape.limit], len(out), len(rows))
    # Ordered before projecting: the order may name a field that is not shown.
    ordered = _ordered(kept, shape.order_by)
    return Result(columns, [{c: value_of(r, c) for c in columns} for r in ordered[: shape.limit]], len(ordered),
                  len(rows))

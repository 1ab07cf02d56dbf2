"""BI computation (pure): ordering by a field not shown, groups and `contains` that tell booleans from numbers,
duplicate result columns, min/max on booleans, the fields a scan reads, saved queries without defaults."""

from __future__ import annotations

import pytest

from crm.bi import plan as bi_plan
from crm.bi.compute import Result, compute
from crm.bi.exports import csv_chunks
from crm_contracts.bi import Aggregation, ExportCreate, QueryRun, QueryShape, ReportCreate
from crm_contracts.bi_fields import (
    BOOLEAN,
    NUMBER,
    SOURCE_SCOPES,
    SOURCES,
    STRING,
    Base,
    aggregation_error,
    query_errors,
)
from junction_common.web.envelope import ApiError

BASE = Base({"name": STRING, "amount": NUMBER, "flag": BOOLEAN, "x": STRING, "c": STRING})


def test_plain_rows_are_ordered_by_a_field_they_do_not_show() -> None:
    rows = [{"name": "b", "amount": 2}, {"name": "c", "amount": 3}, {"name": "a", "amount": 1}]
    shape = QueryShape.model_validate({"fields": ["name"], "order_by": [{"field": "amount", "direction": "desc"}]})
    assert query_errors(shape, BASE) == []
    assert compute(rows, shape, BASE).rows == [{"name": "c"}, {"name": "b"}, {"name": "a"}]


def test_true_and_one_are_different_groups_and_contains_tells_them_apart() -> None:
    rows = [{"x": True}, {"x": 1}, {"x": 1.0}, {"x": "1"}]
    shape = QueryShape.model_validate({"group_by": ["x"], "aggregations": [{"aggregation": "count"}]})
    counts = sorted((repr(r["x"]), r["count"]) for r in compute(rows, shape, BASE).rows)
    assert counts == [("'1'", 1), ("1", 2), ("True", 1)]
    listed = [{"x": [1]}, {"x": [True]}]
    shape = QueryShape.model_validate({"filters": [{"field": "x", "op": "contains", "value": True}], "fields": ["x"]})
    assert compute(listed, shape, BASE).rows == [{"x": [True]}]


@pytest.mark.parametrize("query", [
    {"group_by": ["c"], "aggregations": [{"aggregation": "count", "alias": "c"}]},
    {"aggregations": [{"aggregation": "count"}, {"aggregation": "count", "alias": "count"}]},
    {"group_by": ["name", "name"]},
])
def test_duplicate_result_columns_are_refused(query: dict[str, object]) -> None:
    errors = query_errors(QueryShape.model_validate(query), BASE)
    assert errors and "two columns" in errors[0]["message"], errors


def test_a_metric_value_column_cannot_be_named_again() -> None:
    query = QueryRun.model_validate({"metric_id": "met_1",
                                     "aggregations": [{"aggregation": "sum", "field": "amount", "alias": "value"}]})
    resolved = bi_plan.Plan(BASE, query)
    bi_plan._add_metric(resolved, {"id": "met_1", "aggregation": "count"}, query)
    with pytest.raises(ApiError) as refused:
        bi_plan._check(query, resolved)
    assert refused.value.code == "VALIDATION_ERROR"


def test_min_and_max_of_a_boolean_are_refused() -> None:
    for aggregation in ("min", "max"):
        assert aggregation_error(BASE, Aggregation(aggregation=aggregation, field="flag"), "") is not None
    assert aggregation_error(BASE, Aggregation(aggregation="max", field="amount"), "") is None


def test_a_scan_reads_only_the_top_level_fields_the_query_needs() -> None:
    base = Base({"stage": STRING, "amount": NUMBER, "name": STRING, "custom_fields": "object"}, custom_fields=True)
    shape = QueryShape.model_validate({"group_by": ["stage"], "filters": [{"field": "custom_fields.tier", "value": 1}],
                                       "aggregations": [{"aggregation": "sum", "field": "amount"}]})
    assert bi_plan.needed_fields(shape, base) == {"stage", "custom_fields", "amount"}
    plain = QueryShape.model_validate({"fields": ["name"], "order_by": [{"field": "amount"}]})
    assert bi_plan.needed_fields(plain, base) == {"name", "amount"}


def test_saved_queries_keep_only_what_the_caller_set() -> None:
    report = ReportCreate.model_validate({"name": "r", "dataset_id": "ds_1", "query": {"group_by": ["stage"]}})
    assert report.model_dump(exclude_none=True)["query"] == {"group_by": ["stage"]}
    export = ExportCreate.model_validate({"query": {"source": "deals", "fields": ["name"]}})
    stored = export.model_dump(mode="json", exclude_none=True)["query"]
    assert stored == {"source": "deals", "fields": ["name"]}
    assert "limit" not in QueryRun.model_validate(stored).model_fields_set


async def test_csv_is_streamed_in_chunks() -> None:
    rows = [{"n": i, "ok": i % 2 == 0} for i in range(2500)]
    chunks = [c async for c in csv_chunks(Result(["n", "ok"], rows, len(rows), len(rows)))]
    assert len(chunks) == 3
    text = b"".join(chunks).decode()
    assert text.startswith("n,ok\r\n0,true\r\n1,false\r\n") and text.count("\r\n") == 2501


def test_every_source_names_the_scope_that_reads_it() -> None:
    assert set(SOURCE_SCOPES) == set(SOURCES)
    assert (SOURCE_SCOPES["contacts"], SOURCE_SCOPES["tickets"]) == ("crm:read", "support:read")

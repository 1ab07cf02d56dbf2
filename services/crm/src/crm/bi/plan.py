"""What a BI query reads: a CRM source, a saved dataset or a saved metric of the caller's workspace, resolved
into its rows, their columns and the complete query; then computed by crm.bi.compute.

Rows are read from the crm service's read models with a bounded scan (at most SCAN_LIMIT live records of the
workspace after equality filters, else VALIDATION_ERROR, refused as soon as the scan passes it), each record
holding only the top-level fields the query needs: computation is in Python, not in the database, so it behaves
the same on MongoDB and on the MongoDB-protocol servers without `$group` support.

Reading a CRM source needs the read scope of its resource (`crm:read`, `support:read`...) besides the BI scope.
A sync table (`sync.<slug>`, ad hoc or a dataset's source) is read from the sync service (crm.bi.sync_tables),
columns and rows, when the query runs; reading it needs `tables.view`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from crm.bi.compute import Result, compute
from crm.bi.sync_tables import SyncTable, SyncTables
from crm_contracts.bi import BI_DATASET, BI_METRIC, Aggregation, Condition, QueryRun, QueryShape
from crm_contracts.bi_fields import (
    SOURCE_SCOPES,
    SOURCES,
    SYNC_SCOPE,
    Base,
    columns_of,
    dataset_base,
    duplicate_columns,
    query_errors,
    source_error,
    sync_base,
    sync_slug,
)
from junction_common.identity import Principal
from junction_common.web.envelope import ApiError
from junction_common.web.listing import present

Doc = dict[str, Any]
SCAN_LIMIT = 50_000
METRIC_COLUMN = "value"  # a metric's own aggregate, in the result of running it


@dataclass
class Plan:
    base: Base
    shape: QueryShape
    source: str | None = None  # a CRM collection; None for a mock dataset
    rows: list[Doc] = field(default_factory=list)  # a mock dataset's own rows
    ran: Doc = field(default_factory=dict)  # what ran, for the answer
    sync_source: str | None = None  # the `sync.<slug>` whose rows are `rows`


async def _live(db: AsyncDatabase[Doc], collection: str, object_id: str, workspace_id: str, label: str) -> Doc:
    doc = await db[collection].find_one({"_id": object_id, "workspace_id": workspace_id, "archived": False})
    if doc is None:
        raise ApiError("NOT_FOUND", f"The {label} could not be found.", {"id": object_id})
    return doc


def _conditions(saved: list[Doc] | None) -> list[Condition]:
    return [Condition.model_validate(c) for c in saved or []]


def _shape(query: QueryShape, **changes: Any) -> QueryShape:
    fields = {name: getattr(query, name) for name in QueryShape.model_fields}
    return QueryShape.model_construct(**{**fields, **changes})


async def plan(db: AsyncDatabase[Doc], workspace_id: str, query: QueryRun, sync: SyncTables | None = None) -> Plan:
    """Resolve `query` within `workspace_id`; unknown ids are NOT_FOUND, unknown fields VALIDATION_ERROR."""
    if query.source is not None:
        problem = source_error(query.source)
        if problem:
            raise ApiError("VALIDATION_ERROR", problem, {"pointer": "/source", "source": query.source})
        slug = sync_slug(query.source)
        if slug is None:
            resolved = Plan(SOURCES[query.source], query, query.source, ran={"source": query.source})
        else:
            table = await _sync_table(sync, workspace_id, slug)
            resolved = Plan(sync_base(table.columns), query, None, table.rows, {"source": query.source},
                            sync_source=query.source)
    else:
        resolved = await _saved(db, workspace_id, query, sync)
    _check(query, resolved)
    return resolved


async def _saved(db: AsyncDatabase[Doc], workspace_id: str, query: QueryRun, sync: SyncTables | None) -> Plan:
    """A saved dataset's (or metric's dataset's) rows and columns, its filters first."""
    metric = None
    if query.metric_id is not None:
        metric = await _live(db, BI_METRIC.collection, query.metric_id, workspace_id, "metric")
    dataset_id = metric["dataset_id"] if metric else str(query.dataset_id)
    dataset = await _live(db, BI_DATASET.collection, dataset_id, workspace_id, "dataset")
    ran = {"dataset_id": dataset_id, "kind": dataset["kind"]}
    slug = sync_slug(dataset.get("source"))
    if slug is None:
        resolved = Plan(dataset_base(dataset), query, dataset.get("source"), list(dataset.get("rows") or []), ran)
    else:
        table = await _sync_table(sync, workspace_id, slug)
        resolved = Plan(dataset_base(dataset, sync_base(table.columns)), query, None, table.rows, ran,
                        sync_source=dataset["source"])
    resolved.shape = _shape(query, filters=[*_conditions(dataset.get("filters")), *query.filters])
    if metric is not None:
        _add_metric(resolved, metric, query)
    return resolved


async def _sync_table(sync: SyncTables | None, workspace_id: str, slug: str) -> SyncTable:
    if sync is None:
        raise ApiError("VALIDATION_ERROR", "Sync table sources are not readable here.",
                       {"pointer": "/source", "source": f"sync.{slug}"})
    return await sync.read(workspace_id, slug, SCAN_LIMIT)


def _add_metric(resolved: Plan, metric: Doc, query: QueryRun) -> None:
    """A metric's filters and groups come first; its aggregate is the `value` column."""
    resolved.ran["metric_id"] = metric["id"]
    own = Aggregation(aggregation=metric["aggregation"], field=metric.get("field"), alias=METRIC_COLUMN)
    saved = list(metric.get("group_by", []))
    resolved.shape = _shape(resolved.shape, filters=[*_conditions(metric.get("filters")), *resolved.shape.filters],
                            group_by=[*saved, *(g for g in query.group_by if g not in saved)],
                            aggregations=[own, *query.aggregations])


def require_source_scope(principal: Principal, source: str | None) -> None:
    """Reading a CRM source's records needs its resource's read scope (a mock dataset's own rows need none), a sync
    table's rows `tables.view`."""
    scope = SYNC_SCOPE if sync_slug(source) else SOURCE_SCOPES.get(source or "")
    if scope is not None and not principal.has_scope(scope):
        raise ApiError("FORBIDDEN", "The token does not include the scope required for this operation.",
                       {"required_scope": scope, "source": source})


def _check(query: QueryRun, resolved: Plan) -> None:
    """The caller's fields against the columns; order_by against the result's columns (a metric adds `value`)."""
    errors = query_errors(_shape(query, order_by=[]), resolved.base)
    errors += [e for e in query_errors(resolved.shape, resolved.base)
               if e["pointer"].startswith("/order_by") or (e["pointer"] == "/fields" and e not in errors)]
    errors += [e for e in duplicate_columns(resolved.shape, columns_of(resolved.shape, resolved.base))
               if e is not None and e not in errors]
    if errors:
        raise ApiError("VALIDATION_ERROR", errors[0]["message"], {"pointer": errors[0]["pointer"], "errors": errors})


def _pushdown(shape: QueryShape) -> Doc:
    """Equality on top-level text and number fields narrows the scan; every filter is still applied in Python."""
    return {c.field: c.value for c in shape.filters
            if c.op == "eq" and "." not in c.field and isinstance(c.value, str | int | float)
            and not isinstance(c.value, bool)}


def needed_fields(shape: QueryShape, base: Base) -> set[str]:
    """The top-level fields the query reads (`custom_fields.tier` reads `custom_fields`)."""
    names = [c.field for c in shape.filters] + list(shape.group_by) + [o.field for o in shape.order_by]
    aggs = [*shape.aggregations, *(base.measures[m] for m in shape.measures if m in base.measures)]
    names += [a.field for a in aggs if a.field]
    if not (shape.group_by or shape.aggregations or shape.measures):
        names += columns_of(shape, base)
    return {name.partition(".")[0] for name in names}


async def rows_of(db: AsyncDatabase[Doc], workspace_id: str, resolved: Plan, scan_limit: int = SCAN_LIMIT) -> list[Doc]:
    """The live records of the workspace the plan reads (a mock dataset's own rows), with only the fields it needs;
    more than `scan_limit` is refused as soon as the scan passes it."""
    if resolved.source is None:
        return resolved.rows
    filt = {**_pushdown(resolved.shape), "workspace_id": workspace_id, "archived": {"$ne": True}}
    projection = {"_id": 1, **{name: 1 for name in needed_fields(resolved.shape, resolved.base)}}
    rows: list[Doc] = []
    async with db[resolved.source].find(filt, projection).sort("_id", 1).limit(scan_limit + 1) as cursor:
        async for doc in cursor:
            if len(rows) == scan_limit:
                raise ApiError("VALIDATION_ERROR", f"More than {scan_limit} records match; add equality filters.",
                               {"pointer": "/filters", "scan_limit": scan_limit})
            rows.append(present(doc))
    return rows


async def run_plan(db: AsyncDatabase[Doc], workspace_id: str, query: QueryRun,
                   limit: int | None = None, sync: SyncTables | None = None) -> tuple[Plan, Result]:
    """The resolved plan and its result; `limit` replaces the query's own."""
    resolved = await plan(db, workspace_id, query, sync)
    if limit is not None:
        resolved.shape = _shape(resolved.shape, limit=limit)
    return resolved, compute(await rows_of(db, workspace_id, resolved), resolved.shape, resolved.base)


async def run_described(db: AsyncDatabase[Doc], principal: Principal, query: QueryRun,
                        sync: SyncTables | None = None) -> Doc:
    """The answer of `POST /v1/bi/queries/run`: a CRM source needs its read scope too (a sync table's is checked
    before it is read)."""
    workspace_id = principal.workspace_id
    if sync_slug(query.source):
        require_source_scope(principal, query.source)
    resolved = await plan(db, workspace_id, query, sync)
    require_source_scope(principal, resolved.source or resolved.sync_source)
    result = compute(await rows_of(db, workspace_id, resolved), resolved.shape, resolved.base)
    return {"columns": result.columns, "rows": result.rows, "row_count": result.row_count,
            "returned": len(result.rows), "truncated": result.row_count > len(result.rows),
            "scanned_rows": result.scanned, **resolved.ran,
            "query": resolved.shape.model_dump(exclude_defaults=True)}

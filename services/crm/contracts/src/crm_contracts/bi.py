"""BI contracts (workspace-api.txt, group Product Analytics and BI): datasets, metrics, reports, dashboards,
exports and scheduled artifacts, the query `POST /v1/bi/queries/run` runs, and the metadata PATCH of any of them.

The reference gives no bodies for these operations; the shapes below are Junction's (see docs/crm.md, BI).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import Field, field_serializer, model_validator

from crm_contracts.common import Body, Id, Name, Text
from junction_common.contracts.resources import Filter, LinkField, Operations, ResourceContract

BI_STATUSES = ("draft", "active", "archived")
DATASET_KINDS = ("mock", "table", "view", "semantic")
AGGREGATIONS = ("count", "sum", "avg", "min", "max")
OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "contains")
VISUALIZATIONS = ("table", "bar", "line", "area", "pie", "number")
EXPORT_STATUSES = ("pending", "completed", "failed", "archived")
ARTIFACT_TYPES = ("dataset", "metric", "report", "dashboard")
MAX_MOCK_ROWS = 1000
TAG = "Product Analytics and BI"

# `amount_cents`, or `custom_fields.tier` for a custom field.
FieldName = Annotated[str, Field(min_length=1, max_length=130,
                                 pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]{1,64})?$")]
Alias = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
SourceName = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[a-z][a-z0-9_.:-]*$")]
Scalar = str | int | float | bool | None
Status = Literal["draft", "active"]
Email = Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class Condition(Body):
    """`{"field": "stage", "op": "eq", "value": "won"}`; `in` takes a list."""

    field: FieldName
    op: Literal[OPERATORS] = "eq"  # type: ignore[valid-type]
    value: Scalar | list[Scalar] = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> Condition:
        if (self.op == "in") != isinstance(self.value, list):
            raise ValueError("`in` takes a list value; every other operator takes one value")
        return self


class Aggregation(Body):
    """`count` (of rows, or of rows where `field` is set), or sum/avg/min/max of `field`, named `alias`."""

    aggregation: Literal[AGGREGATIONS]  # type: ignore[valid-type]
    field: FieldName | None = None
    alias: Alias | None = None

    @model_validator(mode="after")
    def _field_needed(self) -> Aggregation:
        if self.aggregation != "count" and self.field is None:
            raise ValueError(f"`{self.aggregation}` needs a field")
        return self

    @property
    def column(self) -> str:
        return self.alias or (self.aggregation if self.field is None else f"{self.aggregation}_{self.field}")


class Measure(Body):
    """A named aggregation of a semantic dataset (`{"name": "revenue", "aggregation": "sum", "field": ...}`)."""

    name: Alias
    aggregation: Literal[AGGREGATIONS]  # type: ignore[valid-type]
    field: FieldName | None = None


class OrderBy(Body):
    field: Alias | FieldName
    direction: Literal["asc", "desc"] = "asc"


class QueryShape(Body):
    """What to compute over the rows: filters, then group_by with aggregations (or plain `fields`)."""

    filters: list[Condition] = Field(default_factory=list, max_length=20)
    group_by: list[FieldName] = Field(default_factory=list, max_length=5)
    aggregations: list[Aggregation] = Field(default_factory=list, max_length=10)
    measures: list[Alias] = Field(default_factory=list, max_length=10)  # names of a semantic dataset's measures
    fields: list[FieldName] = Field(default_factory=list, max_length=50)
    order_by: list[OrderBy] = Field(default_factory=list, max_length=5)
    limit: int = Field(default=100, ge=1, le=1000)


class QueryRun(QueryShape):
    """`POST /v1/bi/queries/run`: exactly one of a saved dataset, a saved metric, or a CRM source (ad hoc)."""

    dataset_id: Id | None = None
    metric_id: Id | None = None
    source: SourceName | None = None

    @model_validator(mode="after")
    def _one_target(self) -> QueryRun:
        if sum(x is not None for x in (self.dataset_id, self.metric_id, self.source)) != 1:
            raise ValueError("give exactly one of dataset_id, metric_id or source")
        return self


def _as_set(query: QueryShape | None) -> dict[str, object] | None:
    """A saved query keeps only what its caller set: a default `limit` must not read as the caller's own when
    the query is validated again (an export computes every row unless the query sets `limit`)."""
    return None if query is None else query.model_dump(mode="json", exclude_unset=True)


class DatasetCreate(Body):
    name: Name
    description: Text | None = None
    kind: Literal[DATASET_KINDS]  # type: ignore[valid-type]
    status: Status = "draft"
    source: SourceName | None = None  # table, view, semantic: a CRM collection (`deals`)
    filters: list[Condition] = Field(default_factory=list, max_length=20)  # view: applied to every query
    fields: list[FieldName] | None = Field(default=None, max_length=50)  # the columns it exposes (None: all)
    dimensions: list[FieldName] = Field(default_factory=list, max_length=20)  # semantic
    measures: list[Measure] = Field(default_factory=list, max_length=20)  # semantic
    rows: list[dict[Alias, Scalar]] | None = Field(default=None, max_length=MAX_MOCK_ROWS)  # mock: the data itself

    @model_validator(mode="after")
    def _kind_shape(self) -> DatasetCreate:
        if self.kind == "mock" and (self.rows is None or self.source is not None):
            raise ValueError("a mock dataset holds its `rows` and has no source")
        if self.kind != "mock" and (self.source is None or self.rows is not None):
            raise ValueError(f"a {self.kind} dataset needs a `source` and holds no rows")
        if self.kind == "view" and not self.filters and self.fields is None:
            raise ValueError("a view needs `filters` or `fields`")
        if self.kind == "semantic" and not self.measures:
            raise ValueError("a semantic dataset needs at least one measure")
        if (self.dimensions or self.measures) and self.kind != "semantic":
            raise ValueError("only a semantic dataset has dimensions and measures")
        return self


class MetricCreate(Body):
    name: Name
    description: Text | None = None
    status: Status = "draft"
    dataset_id: Id
    aggregation: Literal[AGGREGATIONS]  # type: ignore[valid-type]
    field: FieldName | None = None
    filters: list[Condition] = Field(default_factory=list, max_length=20)
    group_by: list[FieldName] = Field(default_factory=list, max_length=5)
    unit: str | None = Field(default=None, max_length=32)

    @model_validator(mode="after")
    def _field_needed(self) -> MetricCreate:
        if self.aggregation != "count" and self.field is None:
            raise ValueError(f"`{self.aggregation}` needs a field")
        return self


class ReportCreate(Body):
    name: Name
    description: Text | None = None
    status: Status = "draft"
    dataset_id: Id | None = None
    dashboard_id: Id | None = None
    metric_ids: list[Id] = Field(default_factory=list, max_length=20)
    query: QueryShape | None = None  # over its dataset
    visualization: Literal[VISUALIZATIONS] = "table"  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _has_content(self) -> ReportCreate:
        if self.dataset_id is None and not self.metric_ids:
            raise ValueError("a report shows a dataset (`dataset_id`) or metrics (`metric_ids`)")
        if self.query is not None and self.dataset_id is None:
            raise ValueError("a report query runs over its dataset: give `dataset_id`")
        return self

    @field_serializer("query")
    def _caller_set(self, query: QueryShape | None) -> dict[str, object] | None:
        return _as_set(query)


class DashboardCreate(Body):
    name: Name
    description: Text | None = None
    status: Status = "draft"
    report_ids: list[Id] = Field(default_factory=list, max_length=50)
    metric_ids: list[Id] = Field(default_factory=list, max_length=50)


class ExportCreate(Body):
    """An export of a saved dataset, metric or report, or of an ad-hoc `query`: one CSV file."""

    name: Name | None = None
    format: Literal["csv"] = "csv"
    dataset_id: Id | None = None
    metric_id: Id | None = None
    report_id: Id | None = None
    query: QueryRun | None = None

    @model_validator(mode="after")
    def _one_target(self) -> ExportCreate:
        if sum(x is not None for x in (self.dataset_id, self.metric_id, self.report_id, self.query)) != 1:
            raise ValueError("give exactly one of dataset_id, metric_id, report_id or query")
        return self

    @field_serializer("query")
    def _caller_set(self, query: QueryRun | None) -> dict[str, object] | None:
        return _as_set(query)


class ScheduledArtifactCreate(Body):
    name: Name
    description: Text | None = None
    status: Status = "draft"
    artifact_type: Literal[ARTIFACT_TYPES]  # type: ignore[valid-type]
    artifact_id: Id
    cron: str = Field(min_length=9, max_length=120)
    timezone: str = Field(default="UTC", min_length=1, max_length=64)
    format: Literal["csv"] = "csv"
    recipients: list[Email] = Field(default_factory=list, max_length=50)


class BiObjectUpdate(Body):
    """`PATCH /v1/bi/{collection}/{id}`: metadata of any BI object; `cron`/`timezone` of a scheduled artifact."""

    name: Name | None = None
    description: Text | None = None
    status: Literal[BI_STATUSES] | None = None  # type: ignore[valid-type]
    cron: str | None = Field(default=None, min_length=9, max_length=120)
    timezone: str | None = Field(default=None, min_length=1, max_length=64)


def _bi(name: str, prefix: str, collection: str, model: type[Body], ops: Operations,
        filters: tuple[Filter, ...] = (), search: bool = True, defaults: dict[str, str] | None = None,
        links: tuple[LinkField, ...] = ()) -> ResourceContract:
    return ResourceContract(
        name=f"bi_{name}", prefix=prefix, path=f"/v1/bi/{collection}", collection=f"bi_{name}s",
        create_model=model, operations=ops, read_scope="bi:read", write_scope="bi:write", filters=filters,
        search_fields=("name", "description") if search else (), defaults=defaults or {}, tag=TAG, links=links)


_DATASET, _METRIC = LinkField("/dataset_id", "bi_dataset"), LinkField("/metric_id", "bi_metric")


_STATUS = Filter("status", BI_STATUSES)
# Datasets and metrics are created by hand-written routes (`createBiDataset`, `createBiMetric`): the key needs
# the read scope of the CRM source they read, besides `bi:write`.
BI_DATASET = _bi("dataset", "ds", "datasets", DatasetCreate, Operations(list="listBiDatasets"),
                 (Filter("kind", DATASET_KINDS), _STATUS))
BI_METRIC = _bi("metric", "met", "metrics", MetricCreate, Operations(list="listBiMetrics"),
                (Filter("dataset_id"), _STATUS), links=(_DATASET,))
BI_REPORT = _bi("report", "rep", "reports", ReportCreate, Operations(list="listBiReports", create="createBiReport"),
                (Filter("dashboard_id"), Filter("dataset_id"), _STATUS),
                links=(_DATASET, LinkField("/dashboard_id", "bi_dashboard"), LinkField("/metric_ids/*", "bi_metric")))
BI_DASHBOARD = _bi("dashboard", "dash", "dashboards", DashboardCreate,
                   Operations(list="listBiDashboards", create="createBiDashboard"), (_STATUS,),
                   links=(LinkField("/report_ids/*", "bi_report"), LinkField("/metric_ids/*", "bi_metric")))
# Exports and schedules have hand-written routes (CSV generation, download URLs, next_run_at on read).
BI_EXPORT = _bi("export", "exp", "exports", ExportCreate, Operations(), search=False, defaults={"status": "pending"},
                links=(_DATASET, _METRIC, LinkField("/report_id", "bi_report"),
                       LinkField("/query/dataset_id", "bi_dataset"), LinkField("/query/metric_id", "bi_metric")))
# The artifact is told by its id's prefix, and must be of the `artifact_type` given (`report` -> bi_report).
BI_SCHEDULED_ARTIFACT = _bi("scheduled_artifact", "sched", "scheduled-artifacts", ScheduledArtifactCreate,
                            Operations(), search=False,
                            links=(LinkField("/artifact_id", type_field="artifact_type", type_prefix="bi_"),))

BI_RESOURCES: tuple[ResourceContract, ...] = (BI_DATASET, BI_METRIC, BI_REPORT, BI_DASHBOARD, BI_EXPORT,
                                              BI_SCHEDULED_ARTIFACT)
# `/v1/bi/{collection}/{id}`: the collection segment names the object kind.
BI_COLLECTIONS: dict[str, ResourceContract] = {c.path.rsplit("/", 1)[-1]: c for c in BI_RESOURCES}
# Event types beyond `<name>.created`: every BI object is updated and archived through `/v1/bi/{collection}/{id}`.
BI_EVENTS: dict[str, tuple[str, ...]] = {
    **{c.name: (f"{c.name}.updated", f"{c.name}.archived") for c in BI_RESOURCES},
    BI_EXPORT.name: (f"{BI_EXPORT.name}.updated", f"{BI_EXPORT.name}.archived", f"{BI_EXPORT.name}.completed",
                     f"{BI_EXPORT.name}.failed"),
}


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # a fixed reference keeps the check pure


def schedule_error(cron: str, timezone: str) -> str | None:
    """Why `cron` in `timezone` is not a valid schedule, or None (five-field cron, IANA time zone)."""
    if len(cron.split()) != 5 or not croniter.is_valid(cron):
        return "cron must be a valid five-field expression (minute hour day month weekday)"
    try:
        croniter(cron, _EPOCH).get_next(datetime)
    except ValueError:  # valid syntax that never fires, such as 31 February
        return "cron must be an expression that fires (this one never does)"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # a folder such as "Europe" is an OSError
        return f"unknown time zone {timezone!r}"
    return None


def next_run_at(cron: str, timezone: str, after: datetime) -> datetime:
    """The first time strictly after `after` that `cron` fires, read in `timezone`; answered in UTC."""
    local = after.astimezone(ZoneInfo(timezone))
    found: datetime = croniter(cron, local).get_next(datetime)
    return found.astimezone(UTC)

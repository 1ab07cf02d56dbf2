"""BI datasets, metrics, reports, dashboards, exports and scheduled artifacts.

- bi_dataset: a table, view or semantic dataset reads a known CRM source or a sync table (`sync.<slug>`); its
  fields, filters, dimensions and measures name fields of a CRM source (a sync table's are checked when a query
  reads its columns).
- bi_metric: its dataset exists; its field, filters and group_by are columns of that dataset; sum and avg need
  a numeric field.
- bi_report: its dataset, dashboard and metrics exist; its query fits its dataset.
- bi_dashboard: every report and metric it shows exists.
- bi_export: what it exports exists; afterwards only its name, description and archiving change.
- bi_scheduled_artifact: its cron expression and time zone are valid; the artifact it schedules exists.
- Only a scheduled artifact has a cron expression or a time zone.
Facts: `dataset` is the live dataset a metric or report names (None when it does not exist; links report it).
"""

from __future__ import annotations

from typing import Any

from crm.domain.record import Record
from crm.domain.rules.base import Context, Rule, reject
from crm_contracts.bi import Aggregation, QueryShape, schedule_error
from crm_contracts.bi_fields import (
    Base,
    Error,
    aggregation_error,
    dataset_base,
    query_errors,
    source_base,
    source_error,
    unknown_field,
)
from junction_common.envelope import CommandEnvelope

SCHEDULE = "bi_scheduled_artifact"


def _creating(cmd: CommandEnvelope) -> bool:
    return cmd.type.endswith(".create")


def _refuse(errors: list[Error]) -> None:
    if errors:
        first = errors[0]
        raise reject(first["message"], first["pointer"], errors=errors)


def _dataset(cmd: CommandEnvelope, _: Record | None, __: Context) -> None:
    if not _creating(cmd):
        return
    data = cmd.data
    if data["kind"] == "mock":
        base = dataset_base(data)
    else:
        problem = source_error(str(data["source"]))
        if problem:
            raise reject(problem, "/source", source=data["source"])
        base = source_base(data["source"])
    shape = QueryShape.model_validate({"filters": data.get("filters", []), "fields": data.get("fields") or []})
    errors = query_errors(shape, base)
    errors += [e for i, d in enumerate(data.get("dimensions", [])) if (e := unknown_field(base, d, f"/dimensions/{i}"))]
    for i, measure in enumerate(data.get("measures", [])):
        agg = Aggregation(aggregation=measure["aggregation"], field=measure.get("field"))
        errors += [e for e in [aggregation_error(base, agg, f"/measures/{i}")] if e]
    _refuse(errors)


def _dataset_of(context: Context) -> Base | None:
    dataset = context.get("dataset")
    return dataset_base(dataset) if dataset is not None else None


def _metric(cmd: CommandEnvelope, _: Record | None, context: Context) -> None:
    base = _dataset_of(context)
    if not _creating(cmd) or base is None:
        return
    data = cmd.data
    shape = QueryShape.model_validate({"filters": data.get("filters", []), "group_by": data.get("group_by", [])})
    agg = Aggregation(aggregation=data["aggregation"], field=data.get("field"))
    _refuse([*query_errors(shape, base), *[e for e in [aggregation_error(base, agg, "")] if e]])


def _report(cmd: CommandEnvelope, _: Record | None, context: Context) -> None:
    base = _dataset_of(context)
    if _creating(cmd) and base is not None and cmd.data.get("query"):
        _refuse(query_errors(QueryShape.model_validate(cmd.data["query"]), base, "/query"))


def _export(cmd: CommandEnvelope, _: Record | None, __: Context) -> None:
    status = cmd.data.get("status")
    if not _creating(cmd) and status is not None and status != "archived":
        raise reject("An export's status follows its generation; it can only be archived.", "/status",
                     status=status)


def _schedule(cmd: CommandEnvelope, state: Record | None, _: Context) -> None:
    if "cron" not in cmd.data and "timezone" not in cmd.data:
        return
    fields: dict[str, Any] = {**(state.fields if state else {}), **cmd.data}
    problem = schedule_error(str(fields.get("cron")), str(fields.get("timezone") or "UTC"))
    if problem:
        raise reject(problem, "/cron" if "cron" in problem else "/timezone", cron=fields.get("cron"),
                     timezone=fields.get("timezone"))


def _schedule_only(resource: str) -> Rule:
    def rule(cmd: CommandEnvelope, _: Record | None, __: Context) -> None:
        for name in ("cron", "timezone"):
            if cmd.data.get(name) is not None:
                raise reject(f"Only a scheduled artifact has a {name}.", f"/{name}", collection=resource)

    return rule


RULES: dict[str, list[Rule]] = {
    "bi_dataset": [_schedule_only("bi_dataset"), _dataset],
    "bi_metric": [_schedule_only("bi_metric"), _metric],
    "bi_report": [_schedule_only("bi_report"), _report],
    "bi_dashboard": [_schedule_only("bi_dashboard")],
    "bi_export": [_schedule_only("bi_export"), _export],
    SCHEDULE: [_schedule],
}
UNIQUE: dict[str, tuple[str, ...]] = {}

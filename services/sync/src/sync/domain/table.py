"""Table aggregate (`tbl_...`, derived from the workspace and the slug): a workspace's table and its schema.

Invariants:
- A slug names one live table per workspace; a deleted table may be created again (a new table, no rows).
- Columns are only added or widened (integer -> number -> string, date -> datetime, else -> string), never
  removed or narrowed; every change is a `table.schema_changed` event listing what changed.
- The schema policy decides what observed data may change: `propagate` applies everything, `ignore_new_columns`
  widens but adds nothing, `pause` adds new columns but holds a widening (`table.schema_change_held`) until it
  is approved; while a change is held the table's streams write no rows.
- A change that changes nothing emits no event.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent
from sync.domain.table_types import widen
from sync_contracts import tables as tx

Columns = list[dict[str, str]]
SETTINGS = ("name", "description", "schema_policy")


@dataclass(frozen=True)
class Table:
    table_id: str
    record: dict[str, Any]
    columns: Columns = field(default_factory=list)
    held: dict[str, Any] | None = None
    deleted: bool = False

    @property
    def policy(self) -> str:
        return str(self.record.get("schema_policy") or "propagate")

    def types(self) -> dict[str, str]:
        return {c["name"]: c["type"] for c in self.columns}


def build(event_type: str, **parts: Any) -> NewEvent:
    """Event `event_type` from its parts, validated by its payload model (a refused part is a bug here)."""
    model = tx.EVENT_MODELS[event_type]
    data = model.model_validate(parts).model_dump(mode="json")
    return NewEvent(type=event_type, data=data, schema_version=model.schema_version)


def evolve(state: Table | None, event: EventEnvelope) -> Table | None:
    """The table after `event`."""
    data = event.data
    if event.type == "table.created":
        return Table(event.stream_id, dict(data["record"]), list(data["record"]["columns"]))
    if state is None:
        return None
    if event.type == "table.updated":
        return replace(state, record={**state.record, **data["changes"]})
    if event.type == "table.deleted":
        return replace(state, deleted=True, held=None)
    if event.type == "table.schema_changed":
        held = None if data.get("reason") == "approved" else state.held
        return replace(state, columns=list(data["columns"]), held=held)
    if event.type == "table.schema_change_held":
        since = state.held["since"] if state.held else event.occurred_at.isoformat()
        return replace(state, held={"changes": data["changes"], "columns": data["columns"], "since": since})
    return state


def fold(events: list[EventEnvelope]) -> Table | None:
    state: Table | None = None
    for event in events:
        state = evolve(state, event)
    return state


def decide(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
    state = fold(events)
    if cmd.type == tx.CREATE:
        if state is not None and not state.deleted:
            raise CommandRejected("VALIDATION_ERROR", "A table with this slug already exists.",
                                  {"slug": cmd.data["record"]["slug"]})
        return [build("table.created", record=cmd.data["record"])]
    if state is None or state.deleted:
        raise CommandRejected("NOT_FOUND", "The table could not be found.", {"id": cmd.aggregate_id})
    if cmd.type == tx.DELETE:
        return [build("table.deleted")]
    if cmd.type == tx.UPDATE:
        return _update(state, cmd.data)
    if cmd.type == tx.EVOLVE:
        return observed(state, cmd.data["observed"])
    if cmd.type == tx.APPROVE:
        return _approve(state)
    raise CommandRejected("VALIDATION_ERROR", f"unknown command {cmd.type}")


def diff(columns: Columns, wanted: dict[str, str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What `wanted` changes in `columns`: the columns it adds and the ones it widens."""
    have = {c["name"]: c["type"] for c in columns}
    added, widened = [], []
    for name, kind in wanted.items():
        if name not in have:
            added.append({"column": name, "change": "added", "type": kind})
            continue
        wider = widen(have[name], kind)
        if wider != have[name]:
            widened.append({"column": name, "change": "widened", "type": wider, "previous_type": have[name]})
    return added, widened


def apply_changes(columns: Columns, changes: list[dict[str, Any]]) -> Columns:
    """`columns` with these changes made (added at the end, widened in place)."""
    out = [dict(c) for c in columns]
    index = {c["name"]: i for i, c in enumerate(out)}
    for change in changes:
        if change["column"] in index:
            out[index[change["column"]]]["type"] = widen(out[index[change["column"]]]["type"], change["type"]) or ""
        else:
            index[change["column"]] = len(out)
            out.append({"name": change["column"], "type": change["type"]})
    return out


def observed(state: Table, types: dict[str, str]) -> list[NewEvent]:
    """Observed data's column types against the schema, under the table's policy."""
    added, widened = diff(state.columns, types)
    if state.policy == "ignore_new_columns":
        added = []
    events: list[NewEvent] = []
    now = added + ([] if state.policy == "pause" else widened)
    columns = state.columns
    if now:
        columns = apply_changes(state.columns, now)
        events.append(build("table.schema_changed", changes=now, columns=columns, reason="observed"))
    if state.policy == "pause" and widened:
        changes = _merge_changes((state.held or {}).get("changes", []), widened)
        held_columns = apply_changes(columns, changes)
        if state.held is None or held_columns != state.held["columns"]:
            events.append(build("table.schema_change_held", changes=changes, columns=held_columns))
    return events


def _merge_changes(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_column = {c["column"]: c for c in before}
    for change in after:
        first = by_column.get(change["column"])
        previous = first.get("previous_type") if first else change.get("previous_type")
        by_column[change["column"]] = {**change, "previous_type": previous}
    return list(by_column.values())


def _update(state: Table, data: dict[str, Any]) -> list[NewEvent]:
    settings = data.get("settings") or {}
    changes = {k: v for k, v in settings.items() if k in SETTINGS and v is not None and state.record.get(k) != v}
    events = [build("table.updated", changes=changes)] if changes else []
    wanted = {c["name"]: c["type"] for c in data.get("columns") or []}
    for name, kind in wanted.items():
        have = state.types().get(name)
        if have is not None and widen(have, kind) != kind:
            raise CommandRejected("VALIDATION_ERROR", "A column's type can only be widened.",
                                  {"column": name, "type": have, "requested": kind})
    added, widened = diff(state.columns, wanted)
    if added or widened:
        columns = apply_changes(state.columns, added + widened)
        events.append(build("table.schema_changed", changes=added + widened, columns=columns, reason="api"))
    return events


def _approve(state: Table) -> list[NewEvent]:
    if state.held is None:
        raise CommandRejected("VALIDATION_ERROR", "The table holds no schema change to approve.",
                              {"id": state.table_id})
    columns = apply_changes(state.columns, state.held["changes"])
    return [build("table.schema_changed", changes=state.held["changes"], columns=columns, reason="approved")]

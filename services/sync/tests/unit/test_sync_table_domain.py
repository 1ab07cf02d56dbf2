"""The table aggregate and column types: given events, when a command, then events (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent
from sync.domain import table
from sync.domain.table_types import coerce, is_column, observe, type_of, widen
from sync.tables.rows import MissingKey, row_key, shape
from sync.tables.targets import slugify, strip_labels, table_target
from sync_contracts import tables as tx

AT = datetime(2026, 1, 1, tzinfo=UTC)


def cmd(kind: str, **data: Any) -> CommandEnvelope:
    return CommandEnvelope(type=kind, aggregate_id="tbl_1", workspace_id="ws_1", data=data)


def stamped(new: list[NewEvent], base: int = 0) -> list[EventEnvelope]:
    return [EventEnvelope(type=e.type, stream_id="tbl_1", version=base + i + 1, workspace_id="ws_1", occurred_at=AT,
                          command_id="c", correlation_id="c", causation_id="c", data=e.data)
            for i, e in enumerate(new)]


def created(policy: str = "propagate", columns: list[dict[str, str]] | None = None) -> list[EventEnvelope]:
    record = {"slug": "t", "name": "T", "columns": columns or [{"name": "id", "type": "integer"},
                                                              {"name": "n", "type": "integer"}],
              "primary_key": ["id"], "schema_policy": policy}
    return stamped(table.decide(cmd(tx.CREATE, record=record), []))


def test_types_are_inferred_per_value() -> None:
    assert [type_of(v) for v in ("x", 1, 1.5, True, "2026-01-02", "2026-01-02T03:04:05Z", {}, [], None)] == [
        "string", "integer", "number", "boolean", "date", "datetime", "object", "array", None]


def test_types_widen_integer_number_string() -> None:
    assert widen("integer", "number") == "number"
    assert widen("number", "string") == "string"
    assert widen("date", "datetime") == "datetime"
    assert widen("boolean", "integer") == "string"
    assert widen("integer", None) == "integer"
    assert observe([{"a": 1, "b": None}, {"a": 2.5, "c": "x"}]) == {"a": "number", "b": "string", "c": "string"}


def test_fields_that_cannot_be_columns_stay_in_the_raw_record() -> None:
    assert is_column("first name") and is_column("x-1") and not is_column("a.b") and not is_column("$set")
    assert observe([{"ok": 1, "a.b": 2, "$x": 3}]) == {"ok": "integer"}
    assert coerce(2**70, "integer") == str(2**70)


def test_values_are_coerced_into_a_wider_column() -> None:
    assert coerce(3, "string") == "3"
    assert coerce({"k": 1}, "string") == '{"k":1}'
    assert coerce(3, "number") == 3 and coerce(3, "string") == "3"
    assert shape({"a": 1, "z": 2}, [{"name": "a", "type": "string"}]) == {"a": "1"}


def test_new_columns_and_widening_propagate() -> None:
    events = created()
    new = table.decide(cmd(tx.EVOLVE, observed={"id": "integer", "n": "number", "email": "string"}), events)
    assert [e.type for e in new] == ["table.schema_changed"]
    changes = new[0].data["changes"]
    assert {"column": "email", "change": "added", "type": "string", "previous_type": None} in changes
    assert {"column": "n", "change": "widened", "type": "number", "previous_type": "integer"} in changes
    state = table.fold(events + stamped(new, len(events)))
    assert state is not None and state.types() == {"id": "integer", "n": "number", "email": "string"}
    again = table.decide(cmd(tx.EVOLVE, observed={"n": "integer"}), events + stamped(new, len(events)))
    assert again == []  # a type never narrows


def test_ignore_new_columns_widens_but_adds_nothing() -> None:
    events = created("ignore_new_columns")
    new = table.decide(cmd(tx.EVOLVE, observed={"n": "string", "extra": "string"}), events)
    assert [c["column"] for c in new[0].data["changes"]] == ["n"]


def test_pause_holds_a_widening_until_approved() -> None:
    events = created("pause")
    new = table.decide(cmd(tx.EVOLVE, observed={"n": "number", "email": "string"}), events)
    assert [e.type for e in new] == ["table.schema_changed", "table.schema_change_held"]
    events += stamped(new, len(events))
    state = table.fold(events)
    assert state is not None and state.held is not None and state.types()["n"] == "integer"
    assert table.decide(cmd(tx.EVOLVE, observed={"n": "number"}), events) == []  # held once
    approved = table.decide(cmd(tx.APPROVE), events)
    assert approved[0].data["reason"] == "approved"
    state = table.fold(events + stamped(approved, len(events)))
    assert state is not None and state.held is None and state.types()["n"] == "number"
    with pytest.raises(CommandRejected):
        table.decide(cmd(tx.APPROVE), events + stamped(approved, len(events)))


def test_a_slug_is_one_live_table_and_deleted_tables_come_back_empty() -> None:
    events = created()
    with pytest.raises(CommandRejected):
        table.decide(cmd(tx.CREATE, record={"slug": "t", "name": "T", "columns": []}), events)
    events += stamped(table.decide(cmd(tx.DELETE), events), len(events))
    with pytest.raises(CommandRejected) as refused:
        table.decide(cmd(tx.UPDATE, settings={"name": "x"}), events)
    assert refused.value.code == "NOT_FOUND"
    again = table.decide(cmd(tx.CREATE, record={"slug": "t", "name": "T", "columns": []}), events)
    assert again[0].type == "table.created"


def test_api_columns_only_widen() -> None:
    events = created()
    with pytest.raises(CommandRejected):
        table.decide(cmd(tx.UPDATE, columns=[{"name": "n", "type": "boolean"}]), events)
    new = table.decide(cmd(tx.UPDATE, settings={"name": "New"}, columns=[{"name": "x", "type": "date"}]), events)
    assert [e.type for e in new] == ["table.updated", "table.schema_changed"]


def test_table_names_strip_variant_labels_unless_own_tables() -> None:
    assert strip_labels("Production CRM (EU)") == "Production CRM"
    assert strip_labels("Sales (2024) (EU)") == "Sales"
    shared = table_target({"id": "c1", "name": "Production CRM (EU)", "variantLabel": "EU"}, "contacts")
    base = table_target({"id": "c0", "name": "Production CRM"}, "contacts")
    own = table_target({"id": "c2", "name": "Production CRM (EU)", "variantLabel": "EU",
                        "config": {"createOwnTables": True}}, "contacts")
    assert shared.slug == base.slug == "production_crm_contacts"
    assert own.slug == "production_crm_eu_contacts"
    assert slugify("  ") == "table"


def test_row_keys_come_from_the_primary_key() -> None:
    assert row_key({"id": 7}, ["id"]) == "7"
    assert row_key({"a": 1, "b": "x"}, ["a", "b"]) == '[1,"x"]'
    assert row_key({"a": 1}, None) == row_key({"a": 1}, None)
    with pytest.raises(MissingKey):
        row_key({"a": 1}, ["id"])


def test_the_table_read_model_shows_a_held_change_until_approved_and_lists_every_change() -> None:
    from sync.projections.tables import apply_table

    events = created("pause")
    events += stamped(table.decide(cmd(tx.EVOLVE, observed={"n": "number", "x": "date"}), events), len(events))
    events += stamped(table.decide(cmd(tx.APPROVE), events), len(events))
    events += stamped(table.decide(cmd(tx.UPDATE, settings={"name": "U"}), events), len(events))
    incremental: dict[str, Any] | None = None
    snapshots = []
    for event in events:
        incremental = apply_table(incremental, event)
        snapshots.append(incremental)
    assert incremental is not None and incremental["name"] == "U"
    assert snapshots[2]["pending_schema_change"] is not None and incremental["pending_schema_change"] is None
    assert [c["reason"] for c in incremental["schema_changes"]] == ["observed", "approved"]
    assert {c["name"]: c["type"] for c in incremental["columns"]} == {"id": "integer", "n": "number", "x": "date"}

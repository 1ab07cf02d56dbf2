"""Tables (connect-api.txt `/connect/v1/tables`): commands, the public request models, and the typed payloads of
the table aggregate's events.

A table is event-sourced (created, updated, deleted, schema changed, a schema change held and approved); its rows
are not: they are written in bulk, as a projection of the records ingested (see docs/sync.md).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from junction_common.contracts.event_types import schemas_of

TABLES = "sync_tables"  # read model of the table aggregate
ROWS = "sync_table_rows"  # the rows, keyed `_id` = row id (derived from the table id and the primary key)

CREATE = "table.create"
UPDATE = "table.update"
DELETE = "table.delete"
EVOLVE = "table.evolve"  # columns observed in ingested data: add or widen, or hold per the policy
APPROVE = "table.approve_schema"  # the held change applied, the stream resumed
COMMANDS = (CREATE, UPDATE, DELETE, EVOLVE, APPROVE)

ColumnType = Literal["string", "integer", "number", "boolean", "datetime", "date", "object", "array"]
Policy = Literal["propagate", "ignore_new_columns", "pause"]
POLICIES: tuple[str, ...] = ("propagate", "ignore_new_columns", "pause")
_CLOSED = ConfigDict(extra="forbid")
_SLUG = r"^[a-z0-9][a-z0-9_]{0,62}$"
COLUMN_NAME = r"^[A-Za-z0-9_][A-Za-z0-9_ \-]{0,127}$"  # no `.` or `$`: a column is a field of the row's `data`


class Column(BaseModel):
    model_config = _CLOSED
    name: str = Field(pattern=COLUMN_NAME)
    type: ColumnType = "string"


class TableSettings(BaseModel):
    """What a caller may change on a table."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    schema_policy: Policy | None = Field(None, alias="schemaPolicy")


class TableCreate(TableSettings):
    """createTable: a name (the slug derives from it unless given), optional columns and primary key."""

    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(None, pattern=_SLUG)
    columns: list[Column] = Field(default_factory=list, max_length=500)
    primary_key: list[str] | None = Field(None, alias="primaryKey", max_length=8)


class TableUpdate(TableSettings):
    """updateTable: name, description, schema policy; columns may be added (types only widen)."""

    columns: list[Column] | None = Field(None, max_length=500)


class RowsQuery(BaseModel):
    """listTableRows: `filter=column:op:value` (repeatable; op eq, ne, gt, gte, lt, lte, contains), `sort=column`
    or `sort=-column`, `limit` and `offset` paging."""

    model_config = ConfigDict(extra="forbid")
    limit: int = Field(50, ge=1, le=1000)
    offset: int = Field(0, ge=0)
    sort: str | None = Field(None, max_length=130)
    filter: list[str] = Field(default_factory=list, max_length=20)
    search: str | None = Field(None, max_length=200)


class LookupQuery(BaseModel):
    """lookupTableRows: rows whose `column` equals `value` (the primary key when no column is named)."""

    model_config = ConfigDict(extra="forbid")
    column: str | None = Field(None, max_length=128)
    value: str = Field(max_length=1000)
    limit: int = Field(50, ge=1, le=1000)


class RowBody(BaseModel):
    """createTableRow / updateTableRow: the row's values by column."""

    model_config = ConfigDict(extra="forbid")
    data: dict[str, Any]


class UpsertBody(BaseModel):
    """upsertTableRow: one row (`data`) or many (`rows`), matched on `keyColumns` (default: the primary key)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    data: dict[str, Any] | None = None
    rows: list[dict[str, Any]] | None = Field(None, max_length=10000)
    key_columns: list[str] | None = Field(None, alias="keyColumns", max_length=8)


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["csv", "json"] = "csv"


class ApproveBody(BaseModel):
    """Approve the schema change a table holds (a route of Junction's own)."""

    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(None, max_length=500)


# Event payloads ------------------------------------------------------------------------------------------------


class Payload(BaseModel):
    model_config = _CLOSED
    schema_version: ClassVar[int] = 1


class SchemaChange(BaseModel):
    model_config = _CLOSED
    column: str
    change: Literal["added", "widened"]
    type: ColumnType
    previous_type: ColumnType | None = None


class TableRecord(BaseModel):
    """The table as the API presents it, less its id and timestamps (the event gives them)."""

    model_config = _CLOSED
    slug: str
    name: str
    description: str | None = None
    columns: list[Column]
    primary_key: list[str] | None = None
    schema_policy: Policy = "propagate"
    origin: Literal["api", "sync", "import", "record"] = "api"
    connection_id: str | None = None
    provider: str | None = None
    stream: str | None = None


class TableCreated(Payload):
    record: TableRecord


class TableUpdated(Payload):
    changes: dict[str, Any]


class TableDeleted(Payload):
    pass


class TableSchemaChanged(Payload):
    changes: list[SchemaChange]
    columns: list[Column]
    reason: Literal["observed", "api", "approved"] = "observed"


class TableSchemaChangeHeld(Payload):
    """A breaking change met a `pause` policy: the stream writes no rows until it is approved."""

    changes: list[SchemaChange]
    columns: list[Column]  # the columns once approved


EVENT_MODELS: dict[str, type[Payload]] = {
    "table.created": TableCreated,
    "table.updated": TableUpdated,
    "table.deleted": TableDeleted,
    "table.schema_changed": TableSchemaChanged,
    "table.schema_change_held": TableSchemaChangeHeld,
}
DESCRIPTIONS = {
    "table.created": "A table was created (by the API, a sync or an import).",
    "table.updated": "A table's name, description or schema policy changed.",
    "table.deleted": "A table and its rows were deleted.",
    "table.schema_changed": "A table's columns changed: columns added or types widened.",
    "table.schema_change_held": "A breaking schema change is held for approval; the stream is paused.",
}


def json_schemas() -> list[dict[str, Any]]:
    return schemas_of(EVENT_MODELS)

"""Records (connect-api.txt `/connect/v1/records`): every item ingested (sync batches, inbound provider webhooks,
imports), its request models and the typed payloads of its events on `sync.record.events`.

Every record event carries `record` (the record as the API returns it, with its `id`), so its public payload
(`{id, type, timestamp, workspace_id, data}`, data = the record) is the record whatever batch stream it was
appended in."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from junction_common.contracts.event_types import schemas_of

RECORDS = "sync_records"  # `_id` = record id: the latest raw item of one key of one resource
Source = Literal["sync", "webhook", "import"]


class RecordsQuery(BaseModel):
    """listRecords: by resource type, provider (`providerType`, as documented, or `provider`), source, a search in
    the raw data; `page` (1-based, as documented) or `offset`, with `limit`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    resource_type: str | None = Field(None, alias="resourceType", max_length=128)
    provider_type: str | None = Field(None, alias="providerType", max_length=64)
    provider: str | None = Field(None, max_length=64)
    source: Source | None = None
    search: str | None = Field(None, max_length=200)
    page: int | None = Field(None, ge=1, le=100_000)
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _one_of_each(self) -> RecordsQuery:
        if self.provider_type and self.provider and self.provider_type != self.provider:
            raise ValueError("providerType and provider name different providers; give one")
        if self.page is not None and self.offset:
            raise ValueError("give page or offset, not both")
        return self

    @property
    def provider_filter(self) -> str | None:
        return self.provider_type or self.provider

    @property
    def start(self) -> int:
        """The first record's position: `(page - 1) * limit` when a page is asked for, else `offset`."""
        return (self.page - 1) * self.limit if self.page is not None else self.offset


class RecordsImport(BaseModel):
    """importRecords: items of one resource type; each kept as a record and, with `table`, upserted as a row."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    resource_type: str = Field(alias="resourceType", min_length=1, max_length=128)
    provider: str | None = Field(None, max_length=64)
    records: list[dict[str, Any]] = Field(min_length=1, max_length=10000)
    table: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9_]{0,62}$")
    primary_key: list[str] | None = Field(None, alias="primaryKey", max_length=8)


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_version: ClassVar[int] = 1


class RecordView(BaseModel):
    """A record as the API returns it (and as webhook and flow payloads carry it in `data`)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    resource_type: str
    provider: str | None = None
    source: Source
    connection_id: str | None = None
    run_id: str | None = None
    stream: str | None = None
    table: str | None = None
    key: str | None = None
    data: dict[str, Any]
    received_at: str


class RecordIngested(Payload):
    record: RecordView


class RecordReplayed(Payload):
    record: RecordView


class RecordDeleted(Payload):
    record: RecordView


EVENT_MODELS: dict[str, type[Payload]] = {
    "record.ingested": RecordIngested,
    "record.replayed": RecordReplayed,
    "record.deleted": RecordDeleted,
}
DESCRIPTIONS = {
    "record.ingested": "An item was ingested (a sync batch, an inbound provider webhook, an import).",
    "record.replayed": "A record was replayed: flows and tables process it again.",
    "record.deleted": "A record was deleted.",
}


def json_schemas() -> list[dict[str, Any]]:
    return schemas_of(EVENT_MODELS)

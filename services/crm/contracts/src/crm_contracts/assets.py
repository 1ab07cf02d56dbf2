"""Assets (workspace-api.txt): upload intents with signed URLs, verified completion, signed downloads."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from junction_common.contracts.resources import Filter, LinkField, Operations, ResourceContract

ASSET_TYPES = ("document", "image", "video", "attachment")
ASSET_STATUSES = ("upload_pending", "available", "archived")
ASSET_RELATED = ("lead", "contact", "company", "deal", "task", "cms_entry", "invoice", "marketing_campaign",
                 "marketing_post")
MAX_ASSET_BYTES = 50 * 1024 * 1024
_CustomFields = dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,64}$")], str | int | float | bool | None]


class AssetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    asset_type: Literal[ASSET_TYPES]  # type: ignore[valid-type]
    file_name: str = Field(min_length=1, max_length=255, pattern=r"^[^/\\\x00]+$")
    mime_type: str = Field(min_length=3, max_length=127, pattern=r"^[\w.+-]+/[\w.+-]+$")
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    related_resource_type: Literal[ASSET_RELATED] | None = None  # type: ignore[valid-type]
    related_resource_id: str | None = Field(default=None, max_length=64, pattern=r"^[a-z]+_[A-Za-z0-9]+$")
    custom_fields: _CustomFields | None = None


class AssetComplete(BaseModel):
    model_config = ConfigDict(extra="forbid")

    byte_size: int = Field(ge=0, le=MAX_ASSET_BYTES)
    checksum_sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")


ASSET = ResourceContract(
    name="asset", prefix="asset", path="/v1/assets", collection="assets", create_model=AssetCreate,
    operations=Operations(list="listAssets", archive="archiveAsset"),
    read_scope="assets:read", write_scope="assets:write",
    filters=(Filter("asset_type", ASSET_TYPES), Filter("status", ASSET_STATUSES),
             Filter("related_resource_type", ASSET_RELATED), Filter("related_resource_id")),
    search_fields=("name", "file_name", "description", "mime_type"), custom_fields=True,
    defaults={"status": "upload_pending"}, tag="Assets",
    # Like a task, an asset may stay attached to a record that was archived since.
    links=(LinkField("/related_resource_id", type_field="related_resource_type", live=False),))

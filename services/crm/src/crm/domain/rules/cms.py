"""CMS sites and collections, marketing campaigns and posts.

- cms_site: its key and its primary domain are each unique in the workspace.
- cms_collection: its key is unique in the workspace; field keys are unique within its schema; a `select`
  field lists its options and only a `select` field has options; only a `reference` field names a
  reference collection.
- marketing_campaign: its key is unique in the workspace; it does not end before it starts.
- marketing_post: its campaign, when given, exists in the workspace; a scheduled post has `scheduled_at`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from crm.domain.record import Record
from crm.domain.rules.base import Context, Rule, reject
from junction_common.envelope import CommandEnvelope


def _schema_fields_consistent(cmd: CommandEnvelope, _: Record | None, __: Context) -> None:
    seen: set[str] = set()
    for index, spec in enumerate((cmd.data.get("schema") or {}).get("fields") or ()):
        at = f"/schema/fields/{index}"
        if spec["key"] in seen:
            raise reject("Field keys must be unique within a collection schema.", f"{at}/key", key=spec["key"])
        seen.add(spec["key"])
        if spec["type"] == "select" and not spec.get("options"):
            raise reject("A select field must list its options.", f"{at}/options", key=spec["key"])
        if spec["type"] != "select" and spec.get("options"):
            raise reject("Only a select field has options.", f"{at}/options", key=spec["key"])
        if spec["type"] != "reference" and spec.get("reference_collection_key"):
            raise reject("Only a reference field names a reference collection.",
                         f"{at}/reference_collection_key", key=spec["key"])


def _instant(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _campaign_dates_ordered(cmd: CommandEnvelope, _: Record | None, __: Context) -> None:
    starts, ends = cmd.data.get("starts_at"), cmd.data.get("ends_at")
    start, end = (_instant(starts) if starts else None), (_instant(ends) if ends else None)
    if start is not None and end is not None and end < start:
        raise reject("A campaign cannot end before it starts.", "/ends_at", starts_at=starts, ends_at=ends)


def _scheduled_post_has_time(cmd: CommandEnvelope, _: Record | None, __: Context) -> None:
    if cmd.data.get("status") == "scheduled" and not cmd.data.get("scheduled_at"):
        raise reject("A scheduled post needs scheduled_at.", "/scheduled_at")


RULES: dict[str, list[Rule]] = {
    "cms_collection": [_schema_fields_consistent],
    "marketing_campaign": [_campaign_dates_ordered],
    "marketing_post": [_scheduled_post_has_time],
}
UNIQUE: dict[str, tuple[str, ...]] = {
    "cms_site": ("key", "primary_domain"),
    "cms_collection": ("key",),
    "marketing_campaign": ("key",),
}

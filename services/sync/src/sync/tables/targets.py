"""Which table a connection's stream writes to (pipelines-api.txt, "Shared Table Storage"): variants of a group
share one table per stream, named from the base connection name with variant labels like "(2024)" or "(EU)"
stripped; a variant whose config says `createOwnTables: true` gets tables of its own."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from sync_contracts.tables import POLICIES

_LABEL = re.compile(r"\s*\([^()]*\)\s*$")
_NON_SLUG = re.compile(r"[^a-z0-9]+")
SLUG_MAX = 63


@dataclass(frozen=True)
class TableTarget:
    """Where a batch of a stream goes: the table's slug and name, and the source it came from."""

    slug: str
    name: str
    connection_id: str | None = None
    provider: str | None = None
    stream: str | None = None
    schema_policy: str | None = None  # the connection's `config.schemaChangePolicy`, for a table it creates


def slugify(text: str) -> str:
    """`Production CRM contacts` -> `production_crm_contacts` (lowercase letters, digits and underscores)."""
    slug = _NON_SLUG.sub("_", text.lower()).strip("_")[:SLUG_MAX].strip("_")
    return slug or "table"


def table_id_of(workspace_id: str, slug: str) -> str:
    """The table aggregate's id: one per slug in a workspace, so creating it twice is one stream's conflict."""
    return "tbl_" + hashlib.sha256(f"{workspace_id}:{slug}".encode()).hexdigest()[:26]


def strip_labels(name: str, label: str | None = None) -> str:
    """The base name: trailing parenthesized labels, and the variant's own label wherever it stands, removed."""
    if label:
        name = name.replace(f"({label})", " ")
    while True:
        stripped = _LABEL.sub("", name)
        if stripped == name:
            return " ".join(name.split()) or name.strip()
        name = stripped


def _field(doc: dict[str, Any], camel: str, snake: str) -> Any:
    return doc.get(camel, doc.get(snake))


def table_target(connection: dict[str, Any], stream: str) -> TableTarget:
    """The table `stream` of `connection` (as the pipelines API shows it, camelCase or snake_case) writes to."""
    config = connection.get("config") or {}
    label = _field(connection, "variantLabel", "variant_label")
    own = bool(_field(config, "createOwnTables", "create_own_tables"))
    name = str(_field(connection, "baseName", "base_name") or connection.get("name") or "")
    base = name if own else strip_labels(name, label)
    if own and label and f"({label})" not in base:
        base = f"{base} ({label})"
    table_name = f"{base} {stream}".strip()
    return TableTarget(slug=slugify(table_name), name=table_name, connection_id=connection.get("id"),
                       provider=connection.get("provider") or connection.get("type"), stream=stream,
                       schema_policy=_policy(_field(config, "schemaChangePolicy", "schema_change_policy")))


def _policy(value: Any) -> str | None:
    """The connection's schema-change policy when it names one (propagate, ignore_new_columns, pause)."""
    return str(value) if value in POLICIES else None

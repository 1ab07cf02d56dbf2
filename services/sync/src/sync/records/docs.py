"""A record's documents: as `sync_records` stores it, as a row holds it, and as the API and events show it.

A row holds its record compactly (`rec`): the fields the records API filters, sorts and settles by stay fields
(`_id, resource_type, provider, source, run_id, received_at, event_stream`); the raw item is its JSON text (`raw`,
which the search reads case-insensitively) and its other facts one JSON text (`facts`); the workspace, table and
key are the row's own. The MongoDB-protocol server's cost per row grows with the number of values a document
holds (measured on nx-27017: ~3.5 us each, ~43 us per document), so 9 values instead of 19.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic_core import from_json, to_json

Doc = dict[str, Any]
SEARCH_CHARS = 4000  # how much of a stored record's text the search sees
KEPT = ("_id", "resource_type", "provider", "source", "run_id", "received_at", "event_stream")
OF_ROW = ("workspace_id", "table_id", "key")


def json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def record_id(workspace_id: str, scope: str, key: str) -> str:
    """One record per key of a scope (a resource type of a provider, a webhook provider) in a workspace."""
    return "rec_" + hashlib.sha256(f"{workspace_id}:{scope}:{key}".encode()).hexdigest()[:32]


def row_record_id(row_id: str) -> str:
    """The record of a table's row is named after the row (`row_<hash>` -> `rec_<hash>`): found by `_id` in it."""
    return "rec_" + row_id.removeprefix("row_")


def record_row_id(rid: str) -> str:
    return "row_" + rid.removeprefix("rec_")


def record_doc(workspace_id: str, rid: str, data: Doc, at: str, *, searchable: bool = True, **facts: Any) -> Doc:
    """The stored record: raw `data`, where it came from (resource_type, provider, source, connection_id, run_id,
    stream, table_id, table, key), and (`searchable`) its searchable text."""
    doc = {"_id": rid, "workspace_id": workspace_id, "data": data, "received_at": at, **facts}
    if searchable:
        doc["text"] = json_text(data).lower()[:SEARCH_CHARS]
    return doc


def in_row(doc: Doc, facts_text: str | None = None) -> Doc:
    """The record as its row holds it (`rec`); `facts_text`: its facts' text when known (a batch's records share
    their facts)."""
    kept = {name: doc.get(name) for name in KEPT}
    return {**kept, "raw": to_json(doc.get("data") or {}).decode(), "facts": facts_text or facts_of(doc)}


def facts_of(doc: Doc) -> str:
    """A record's facts besides those a row keeps as fields or has of its own, as JSON text."""
    return json_text({k: v for k, v in doc.items() if k not in KEPT and k not in OF_ROW and k not in ("data", "text")})


def of_row(row: Doc) -> Doc | None:
    """The stored record a row holds (as `sync_records` would store it), or None."""
    rec = row.get("rec")
    if not rec:
        return None
    facts = {**json.loads(rec["facts"]), "table_id": row.get("table_id"), "key": row.get("key")}
    facts.update({name: rec.get(name) for name in KEPT if name not in ("_id", "received_at")})
    return record_doc(str(row.get("workspace_id")), rec["_id"], from_json(rec["raw"]), rec["received_at"], **facts)


def record_view(doc: Doc) -> Doc:
    """A record as the API returns it (and as events carry it): rx.RecordView's fields, built without a model per
    record on the bulk path (emit checks one of each batch against the model)."""
    return {"id": doc["_id"], "resource_type": doc.get("resource_type") or "", "provider": doc.get("provider"),
            "source": doc.get("source") or "import", "connection_id": doc.get("connection_id"),
            "run_id": doc.get("run_id"), "stream": doc.get("stream"), "table": doc.get("table"), "key": doc.get("key"),
            "data": doc.get("data") or {}, "received_at": str(doc.get("received_at"))}

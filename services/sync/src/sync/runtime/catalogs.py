"""A run's catalog without a `discover` process where it can: a low-code manifest whose streams are all plain
(static names, inline schemas, a datetime cursor or none) declares its catalog, which is derived from it exactly as
airbyte-cdk's discover answers; for any other source the last catalog its `discover` answered is reused for a while
(per source program and config, in memory only: never stored, since the config holds credentials). A discover
process costs an airbyte-cdk start (2-3 s, more on a busy machine) before a run can read.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from typing import Any

from sync.runtime.refs import SourceRef

Json = dict[str, Any]
REUSE_S = 3600.0  # how long a discovered catalog stands for the same program and config (discover refreshes it)
REMEMBERED = 256
PLAIN_MANIFEST_KEYS = {"version", "type", "check", "streams", "spec", "metadata", "description"}
PLAIN_STREAM_KEYS = {"type", "name", "primary_key", "retriever", "schema_loader", "incremental_sync"}


def declared_catalog(manifest: Json) -> Json | None:
    """The AirbyteCatalog a plain low-code manifest declares (as its engine's discover gives it), else None."""
    if not set(manifest) <= PLAIN_MANIFEST_KEYS or not isinstance(manifest.get("streams"), list):
        return None
    streams = [_declared_stream(stream) for stream in manifest["streams"]]
    if not streams or any(s is None for s in streams):
        return None
    return {"streams": streams}


def _declared_stream(stream: Any) -> Json | None:
    if not isinstance(stream, dict) or not set(stream) <= PLAIN_STREAM_KEYS:
        return None
    if stream.get("type") != "DeclarativeStream":
        return None
    name, loader, cursor = stream.get("name"), stream.get("schema_loader") or {}, stream.get("incremental_sync")
    if not _static(name) or loader.get("type") != "InlineSchemaLoader" or not isinstance(loader.get("schema"), dict):
        return None
    if cursor is not None and (cursor.get("type") != "DatetimeBasedCursor" or not _static(cursor.get("cursor_field"))):
        return None
    key = stream.get("primary_key")
    keys = [key] if isinstance(key, str) else list(key or [])
    if not all(_static(part) for part in keys):
        return None
    found: Json = {"name": name, "json_schema": loader["schema"],
                   "supported_sync_modes": ["full_refresh", "incremental"] if cursor else ["full_refresh"]}
    if cursor:
        found.update(source_defined_cursor=True, default_cursor_field=[cursor["cursor_field"]])
    if keys:
        found["source_defined_primary_key"] = [[part] for part in keys]
    return {**found, "is_resumable": cursor is not None, "is_file_based": False}


def _static(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and "{{" not in value


class CatalogMemo:
    """The last catalog discovered per source program and config (keyed by a hash of both), for REUSE_S."""

    def __init__(self, reuse_s: float = REUSE_S) -> None:
        self.reuse_s = reuse_s
        self._found: OrderedDict[str, tuple[float, Json]] = OrderedDict()

    def get(self, ref: SourceRef, config: Json) -> Json | None:
        key = _fingerprint(ref, config)
        found = self._found.get(key)
        if found is None or time.monotonic() - found[0] > self.reuse_s:
            return None
        return found[1]

    def put(self, ref: SourceRef, config: Json, catalog: Json) -> None:
        key = _fingerprint(ref, config)
        self._found[key] = (time.monotonic(), catalog)
        self._found.move_to_end(key)
        while len(self._found) > REMEMBERED:
            self._found.popitem(last=False)


def _fingerprint(ref: SourceRef, config: Json) -> str:
    body = json.dumps([ref.kind, ref.manifest, ref.package, ref.version, config], sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()

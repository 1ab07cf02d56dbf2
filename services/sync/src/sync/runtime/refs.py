"""What a source run names: the source program (SourceRef), its configured catalog, and how a run fails."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

SyncMode = Literal["full_refresh", "incremental"]
DestinationSyncMode = Literal["append", "overwrite", "append_dedup", "overwrite_dedup"]


@dataclass(frozen=True)
class SourceRef:
    """Which source program runs: a low-code manifest on airbyte-cdk's declarative engine, or a PyPI source."""

    kind: Literal["declarative", "pypi"]
    manifest: dict[str, Any] | None = None  # declarative: an Airbyte low-code manifest (parsed YAML)
    package: str | None = None  # pypi: e.g. "airbyte-source-faker"
    version: str | None = None  # pypi: pinned version (None = the runtime's measured default)

    def __post_init__(self) -> None:
        if self.kind == "declarative" and not isinstance(self.manifest, dict):
            raise ValueError("a declarative source carries its low-code manifest")
        if self.kind == "pypi" and not self.package:
            raise ValueError("a PyPI source names its package")


class SourceFailed(RuntimeError):
    """The source exited non-zero or reported a TRACE error; the message is redacted of the config's secrets."""

    def __init__(self, message: str, last_stream: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.last_stream = last_stream


def configured_catalog(discovered: dict[str, Any], streams: list[dict[str, Any]]) -> dict[str, Any]:
    """The ConfiguredAirbyteCatalog for `streams` ({name, sync_mode, cursor_field?, destination_sync_mode}), each
    taken from the discovered catalog; a stream it lacks or a sync mode it does not support is refused."""
    known = {s["name"]: s for s in discovered.get("streams", [])}
    configured = []
    for wanted in streams:
        stream = known.get(wanted["name"])
        if stream is None:
            raise ValueError(f"the source has no stream {wanted['name']!r}")
        mode = wanted.get("sync_mode", "full_refresh")
        if mode not in stream.get("supported_sync_modes", ["full_refresh"]):
            raise ValueError(f"stream {wanted['name']!r} does not support {mode} syncs")
        entry: dict[str, Any] = {
            "stream": stream,
            "sync_mode": mode,
            "destination_sync_mode": wanted.get("destination_sync_mode", "append_dedup"),
        }
        cursor = wanted.get("cursor_field") or stream.get("default_cursor_field")
        if mode == "incremental" and cursor:
            entry["cursor_field"] = list(cursor) if isinstance(cursor, list | tuple) else [cursor]
        if stream.get("source_defined_primary_key"):
            entry["primary_key"] = stream["source_defined_primary_key"]
        configured.append(entry)
    return {"streams": configured}

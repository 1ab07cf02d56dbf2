"""What a run reads: the source program of the connection (from the connections service's answer), the streams
and sync modes of its configured catalog, and the saved per-stream state it starts from. Pure functions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sync.runtime.refs import SourceRef

Doc = dict[str, Any]
DEFAULT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def streams_of(discovered: Doc, requested: list[str]) -> list[Doc]:
    """The discovered streams the run syncs: those requested (all when none), in the source's order."""
    streams = discovered.get("streams", [])
    if not requested:
        return list(streams)
    known = {s["name"] for s in streams}
    missing = [name for name in requested if name not in known]
    if missing:
        raise ValueError(f"the source has no stream {missing[0]!r}")
    return [s for s in streams if s["name"] in requested]


def wanted(streams: list[Doc], full_refresh: list[str]) -> list[Doc]:
    """Each stream incremental where it can be (and is not to be refreshed in full), else full refresh."""
    out = []
    for stream in streams:
        incremental = "incremental" in stream.get("supported_sync_modes", []) and stream["name"] not in full_refresh
        out.append({"name": stream["name"], "sync_mode": "incremental" if incremental else "full_refresh",
                    "destination_sync_mode": "append_dedup"})
    return out


def primary_key(configured: Doc) -> list[str] | None:
    """`[["id"]]` -> `["id"]` (a nested key path's first part names the column)."""
    key = configured.get("primary_key") or configured["stream"].get("source_defined_primary_key")
    return [part[0] if isinstance(part, list) else str(part) for part in key] if key else None


def cursor_field(configured: Doc) -> str | None:
    field = configured.get("cursor_field") or configured["stream"].get("default_cursor_field")
    return str(field[0]) if field else None


def date_formats(provider: Doc) -> dict[str, str]:
    """Each provider stream's cursor date format (the manifest's `incremental.datetime_format`)."""
    return {s["name"]: (s.get("incremental") or {}).get("datetime_format", DEFAULT_FORMAT)
            for s in provider.get("streams", [])}


def as_format(value: str, fmt: str) -> str:
    """An ISO 8601 date (a reset's cursor) in the stream's own cursor format."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).strftime(fmt)


def saved_state(catalog: Doc, cursors: dict[str, Doc], formats: dict[str, str]) -> list[Doc]:
    """Per-stream STATE messages for the incremental streams that have a cursor: the state a source emitted, or
    for a cursor set by date, `{cursor_field: date}` in the stream's format."""
    states = []
    for configured in catalog["streams"]:
        name, saved = configured["stream"]["name"], cursors.get(configured["stream"]["name"])
        if configured["sync_mode"] != "incremental" or not saved:
            continue
        state = saved.get("state")
        field = cursor_field(configured)
        if state is None and field and saved.get("cursor") is not None:
            state = {field: as_format(str(saved["cursor"]), formats.get(name, DEFAULT_FORMAT))}
        if state is not None:
            states.append({"type": "STREAM", "stream": {"stream_descriptor": {"name": name}, "stream_state": state}})
    return states


def state_of(message: Doc) -> tuple[str, Doc] | None:
    """A STATE message's stream and state (a legacy whole-source state counts as stream `""`)."""
    state = message.get("state") or {}
    if state.get("type") == "STREAM":
        stream = state.get("stream") or {}
        return str((stream.get("stream_descriptor") or {}).get("name")), dict(stream.get("stream_state") or {})
    if "data" in state:
        return "", dict(state["data"] or {})
    return None


def cursor_value(state: Doc, field: str | None) -> Any:
    """The cursor a state holds: its cursor field's value, else its first scalar value."""
    if field and field in state:
        return state[field]
    return next((v for v in state.values() if isinstance(v, str | int | float)), None)


def source_ref(answer: Doc, build_manifest: Any) -> SourceRef:
    """The source program the connections service named: a PyPI source, a full low-code manifest, or a low-code
    manifest built from the provider's streams (`build_manifest(provider, streams)`)."""
    source = answer.get("source") or {"kind": "streams"}
    if source["kind"] == "pypi":
        return SourceRef("pypi", package=source["package"], version=source.get("version"))
    if source["kind"] == "declarative":
        return SourceRef("declarative", manifest=source["manifest"])
    return SourceRef("declarative", manifest=build_manifest(answer["provider"], None))

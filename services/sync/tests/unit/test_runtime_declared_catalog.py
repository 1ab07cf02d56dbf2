"""The catalog a plain low-code manifest declares (no discover process), and the manifests that declare none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sync.runtime import ConnectorRuntime, SourceRef, declarative_manifest
from sync.runtime.catalogs import declared_catalog
from sync.runtime.process import _message
from sync.settings import SyncSettings

# airbyte-cdk 7.39.1's discover of the same provider's manifest (tests/test_sync_declared_catalog.py checks it live)
DISCOVERED = {"streams": [{
    "name": "items", "json_schema": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                                     "properties": {"id": {"type": ["null", "string", "integer"]},
                                                    "updated_at": {"type": ["null", "string"]}},
                                     "additionalProperties": True},
    "supported_sync_modes": ["full_refresh", "incremental"], "source_defined_cursor": True,
    "default_cursor_field": ["updated_at"], "source_defined_primary_key": [["id"]], "is_resumable": True,
    "is_file_based": False}]}


def provider(**stream: Any) -> dict[str, Any]:
    return {"type": "paged_sim", "api_base_url": "http://127.0.0.1:1",
            "auth": {"kind": "api_key", "location": "header", "name": "X-Api-Key", "template": "{apiKey}"},
            "streams": [{"name": "items", "path": "/items", "primary_key": "id", "records_path": "data",
                         "pagination": {"style": "page", "page_size": 50}, **stream}]}


def test_a_built_manifest_declares_what_discover_answers() -> None:
    manifest = declarative_manifest(provider(cursor_field="updated_at", incremental={"request_param": "since"}))
    assert declared_catalog(manifest) == DISCOVERED


def test_a_stream_without_a_cursor_is_full_refresh_only() -> None:
    (stream,) = declared_catalog(declarative_manifest(provider()))["streams"]  # type: ignore[index]
    assert stream["supported_sync_modes"] == ["full_refresh"] and "default_cursor_field" not in stream
    assert stream["is_resumable"] is False and stream["source_defined_primary_key"] == [["id"]]


def test_manifests_that_are_not_plain_declare_nothing() -> None:
    manifest = declarative_manifest(provider())
    assert declared_catalog({**manifest, "dynamic_streams": []}) is None
    templated = {**manifest["streams"][0], "name": "{{ parameters.name }}"}
    assert declared_catalog({**manifest, "streams": [templated]}) is None
    from_file = {**manifest["streams"][0], "schema_loader": {"type": "JsonFileSchemaLoader"}}
    assert declared_catalog({**manifest, "streams": [from_file]}) is None
    assert declared_catalog({**manifest, "streams": []}) is None


def test_a_source_line_is_decoded_from_its_bytes() -> None:
    assert _message(b'{"type": "RECORD", "record": {"data": {"name": "\\u00e9"}}}')["record"]["data"]["name"] == "é"
    assert _message(b"\xff not json") == {"type": "LOG", "log": {"level": "INFO", "message": "\ufffd not json"}}


async def test_a_run_takes_a_declared_catalog_without_a_source_process(tmp_path: Path) -> None:
    runtime = ConnectorRuntime(SyncSettings(home=tmp_path))
    ref = SourceRef("declarative", manifest=declarative_manifest(provider(cursor_field="updated_at")))
    assert await runtime.catalog(ref, {"apiKey": "k"}) == declared_catalog(ref.manifest or {})
    assert not (tmp_path / "connectors").exists()  # no engine installed, so none started

"""Configured catalogs, source refs, and what a run's transcript makes of the source's messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.runtime import ConnectorRuntime, SourceFailed, SourceRef, configured_catalog
from sync.runtime.credentials import MASK
from sync.runtime.environments import InstallFailed
from sync.runtime.process import Transcript, _message
from sync.settings import SyncSettings

DISCOVERED = {"streams": [
    {"name": "users", "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"],
     "source_defined_cursor": True, "default_cursor_field": ["updated_at"], "source_defined_primary_key": [["id"]]},
    {"name": "events", "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
]}


def test_a_configured_catalog_takes_each_stream_from_the_discovered_one() -> None:
    configured = configured_catalog(DISCOVERED, [
        {"name": "users", "sync_mode": "incremental", "destination_sync_mode": "append_dedup"},
        {"name": "events", "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}])
    users, events = configured["streams"]
    assert users["stream"] is DISCOVERED["streams"][0]
    assert users["cursor_field"] == ["updated_at"] and users["primary_key"] == [["id"]]
    assert (events["sync_mode"], events["destination_sync_mode"]) == ("full_refresh", "overwrite")
    assert "cursor_field" not in events
    chosen = configured_catalog(DISCOVERED, [{"name": "users", "sync_mode": "incremental", "cursor_field": "seen"}])
    assert chosen["streams"][0]["cursor_field"] == ["seen"]


def test_a_configured_catalog_refuses_unknown_streams_and_unsupported_modes() -> None:
    with pytest.raises(ValueError, match="no stream"):
        configured_catalog(DISCOVERED, [{"name": "nope", "sync_mode": "full_refresh"}])
    with pytest.raises(ValueError, match="does not support"):
        configured_catalog(DISCOVERED, [{"name": "events", "sync_mode": "incremental"}])


def test_a_source_ref_names_its_program() -> None:
    with pytest.raises(ValueError):
        SourceRef(kind="declarative")
    with pytest.raises(ValueError):
        SourceRef(kind="pypi")
    assert SourceRef(kind="pypi", package="airbyte-source-faker").version is None


def test_the_transcript_masks_logs_and_traces_and_follows_the_stream() -> None:
    transcript = Transcript(["s3cret-key"])
    log = transcript.see({"type": "LOG", "log": {"level": "ERROR", "message": "GET /x?key=s3cret-key failed"}})
    assert log["log"]["message"] == f"GET /x?key={MASK} failed"
    record = {"type": "RECORD", "record": {"stream": "users", "data": {"note": "s3cret-key"}}}
    assert transcript.see(record) == record  # records are the API's data, passed as they are
    assert transcript.last_stream == "users"
    transcript.see({"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": "b"}}}})
    assert transcript.last_stream == "b"
    transcript.finish(0, "")  # a clean exit raises nothing


def test_a_trace_error_or_a_nonzero_exit_fails_the_run_masked() -> None:
    transcript = Transcript(["s3cret-key"])
    transcript.see({"type": "TRACE", "trace": {"type": "ERROR", "error": {
        "message": "HTTP 401", "internal_message": "GET /x?key=s3cret-key", "stream_descriptor": {"name": "users"}}}})
    with pytest.raises(SourceFailed) as failed:
        transcript.finish(1, "")
    assert failed.value.message == f"HTTP 401 (GET /x?key={MASK})" and failed.value.last_stream == "users"
    crashed = Transcript(["s3cret-key"])
    with pytest.raises(SourceFailed, match="status 2") as exited:
        crashed.finish(2, "Traceback...\nValueError: s3cret-key")
    assert "s3cret-key" not in exited.value.message


def test_a_line_that_is_not_a_message_becomes_a_log() -> None:
    assert _message('{"type": "RECORD", "record": {}}') == {"type": "RECORD", "record": {}}
    assert _message("plain words") == {"type": "LOG", "log": {"level": "INFO", "message": "plain words"}}
    assert _message("[1, 2]")["type"] == "LOG"


async def test_a_source_that_cannot_be_installed_fails_as_a_source(tmp_path: Path) -> None:
    runtime = ConnectorRuntime(SyncSettings(home=tmp_path))
    unpinned = SourceRef(kind="pypi", package="airbyte-source-unmeasured")
    assert await runtime.check(unpinned, {}) == (False, "airbyte-source-unmeasured has no measured default "
                                                        "version here: pin one")
    with pytest.raises(SourceFailed, match="not an Airbyte package"):
        await runtime.spec(SourceRef(kind="pypi", package="requests", version="2.0"))
    with pytest.raises(InstallFailed):
        async for _ in runtime.read(SourceRef(kind="pypi", package="airbyte-source-x", version="1; rm"), {}, {}):
            pass
    assert not (tmp_path / "connectors").exists()  # nothing was installed

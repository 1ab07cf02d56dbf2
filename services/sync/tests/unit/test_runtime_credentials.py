"""A source's secrets: which config values are secret, how they are masked, where the run's files live."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from sync.runtime import redact, secret_values
from sync.runtime.credentials import MASK, RUN_PREFIX, private_run_files, sweep_abandoned

SPEC = {"connectionSpecification": {"type": "object", "properties": {
    "client": {"type": "object", "properties": {"pin": {"type": "string", "airbyte_secret": True}}},
    "region": {"type": "string"}}}}


def test_secret_values_come_from_the_spec_and_from_keys_named_like_secrets() -> None:
    config = {"apiKey": "k-123456", "region": "eu-west", "client": {"pin": "9876"}, "password": "hunter22",
              "tokens": ["t-aaaa", "t-bbbbbb"], "short_token": "abc", "count": 5}
    assert secret_values(config, SPEC) == ["hunter22", "k-123456", "t-bbbbbb", "t-aaaa", "9876"]
    assert secret_values(config) == ["hunter22", "k-123456", "t-bbbbbb", "t-aaaa"]  # pin: only the spec says


def test_redact_masks_secrets_as_written_url_encoded_and_json_escaped() -> None:
    secret = 'p@ss/w"rd'
    text = f"GET /x?key={secret} or p%40ss%2Fw%22rd or p@ss/w\\\"rd"
    assert redact(text, [secret]) == f"GET /x?key={MASK} or {MASK} or {MASK}"


def test_redact_masks_every_string_of_a_message_and_a_longer_secret_whole() -> None:
    message = {"type": "TRACE", "trace": {"error": {"message": "bad key abcd-efgh", "n": 3,
                                                    "list": ["abcd-efgh-ijkl"]}}}
    masked = redact(message, ["abcd-efgh", "abcd-efgh-ijkl"])
    assert masked == {"type": "TRACE", "trace": {"error": {"message": f"bad key {MASK}", "n": 3, "list": [MASK]}}}
    assert message["trace"]["error"]["message"] == "bad key abcd-efgh"  # the original is left as it was
    assert redact("nothing to hide", []) == "nothing to hide"


def test_run_files_are_0600_in_a_0700_directory_removed_when_the_run_ends() -> None:
    with private_run_files() as files:
        path = files.write_json("config.json", {"apiKey": "k"})
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(files.dir.stat().st_mode) == 0o700
        with pytest.raises(FileExistsError):
            files.write_json("config.json", {})
    assert not files.dir.exists()


def test_run_files_are_removed_when_the_run_fails() -> None:
    with pytest.raises(RuntimeError), private_run_files() as files:
        files.write_json("config.json", {"apiKey": "k"})
        raise RuntimeError("the source failed")
    assert not files.dir.exists()


def test_run_directories_of_dead_processes_are_swept(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    abandoned = tmp_path / f"{RUN_PREFIX}{dead.pid}-abc"
    mine = tmp_path / f"{RUN_PREFIX}{os.getpid()}-def"
    other = tmp_path / "something-else"
    for folder in (abandoned, mine, other):
        folder.mkdir()
        (folder / "config.json").write_text("{}")
    assert sweep_abandoned(tmp_path) == [abandoned]
    assert not abandoned.exists() and mine.exists() and other.exists()

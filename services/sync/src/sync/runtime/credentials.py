"""How a source's secrets are handled: a run's config lives in a 0600 file inside a private 0700 directory
(on the RAM-backed /dev/shm when the machine has one, so it never reaches a disk), only for the run's duration,
and is deleted when the run ends however it ends (completed, failed, cancelled, closed early). The source
process gets a minimal environment (none of the service's own secrets). What the source says back (LOG and
TRACE messages, stderr) is redacted of the config's secret values before the runtime yields or raises it;
`redact` is there for anyone who stores or logs other text a source produced.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

MASK = "**********"
# A config key whose name says it holds a secret, whatever the source's spec says.
SECRET_KEY = re.compile(r"key|token|secret|passw|auth|credential|private|session|cookie|signature", re.IGNORECASE)
MIN_SECRET_LEN = 4  # shorter values would mask ordinary words
RAM_DIR = Path("/dev/shm")
RUN_PREFIX = "junction-source-"
T = TypeVar("T")


def secret_values(config: dict[str, Any], spec: dict[str, Any] | None = None) -> list[str]:
    """Every string in `config` that is a secret: under a property the spec marks `airbyte_secret`, or under a key
    whose name says so (api_key, token, password, ...); longest first, so a longer secret is masked whole."""
    flagged = _spec_secret_names(spec or {})
    found: set[str] = set()

    def walk(node: Any, secret: bool) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, secret or key in flagged or bool(SECRET_KEY.search(str(key))))
        elif isinstance(node, list):
            for value in node:
                walk(value, secret)
        elif isinstance(node, str) and secret and len(node) >= MIN_SECRET_LEN:
            found.add(node)

    walk(config, False)
    return sorted(found, key=lambda value: (-len(value), value))


def _spec_secret_names(spec: dict[str, Any]) -> set[str]:
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in (node.get("properties") or {}).items():
                if isinstance(value, dict) and value.get("airbyte_secret"):
                    names.add(key)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec.get("connectionSpecification", spec.get("connection_specification", spec)))
    return names


def redact(message: T, secrets: list[str]) -> T:
    """`message` (a string, or a protocol message as a dict) with every secret value masked, as written and in
    its URL-encoded and JSON-escaped forms."""
    forms = _forms(secrets)
    if not forms:
        return message
    return _redact(message, forms)  # type: ignore[no-any-return]


def _forms(secrets: list[str]) -> list[str]:
    forms: set[str] = set()
    for secret in secrets:
        forms.update({secret, quote(secret, safe=""), json.dumps(secret)[1:-1]})
    return sorted((f for f in forms if len(f) >= MIN_SECRET_LEN), key=len, reverse=True)


def _redact(node: Any, forms: list[str]) -> Any:
    if isinstance(node, str):
        for form in forms:
            if form in node:
                node = node.replace(form, MASK)
        return node
    if isinstance(node, dict):
        return {key: _redact(value, forms) for key, value in node.items()}
    if isinstance(node, list):
        return [_redact(value, forms) for value in node]
    return node


@dataclass(frozen=True)
class RunFiles:
    """A run's private directory (0700): the files handed to the source, each 0600."""

    dir: Path

    def write_json(self, name: str, data: Any) -> Path:
        """Write `data` as JSON into a new 0600 file (never an existing one) and return its path."""
        path = self.dir / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out)
        return path


def _private_base() -> Path:
    if RAM_DIR.is_dir() and os.access(RAM_DIR, os.W_OK | os.X_OK):
        return RAM_DIR
    return Path(tempfile.gettempdir())


@contextmanager
def private_run_files() -> Iterator[RunFiles]:
    """A private directory for one run, removed with everything in it when the block ends, however it ends.
    Its name holds this process's id, so a process killed before it could remove it is known (sweep_abandoned)."""
    path = Path(tempfile.mkdtemp(prefix=f"{RUN_PREFIX}{os.getpid()}-", dir=_private_base()))
    try:
        yield RunFiles(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sweep_abandoned(base: Path | None = None) -> list[Path]:
    """Remove the run directories of processes that no longer exist (killed mid-run); returns them."""
    removed = []
    for path in (base or _private_base()).glob(RUN_PREFIX + "*"):
        owner = path.name.removeprefix(RUN_PREFIX).split("-", 1)[0]
        if owner.isdigit() and not _alive(int(owner)) and path.is_dir() and path.stat().st_uid == os.getuid():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

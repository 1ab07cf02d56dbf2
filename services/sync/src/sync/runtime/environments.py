"""Connector environments: each source program in a virtual environment of its own under
`<home>/connectors/<package>-<version>/`, installed on first use (never in the services' own environment, so
`make run` stays as fast for users who never sync), the installer's progress in the log, the exact installed
version and console scripts recorded in `installed.json` beside it, and an flock so two processes never
install the same one at once (the second waits, then finds it installed).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from junction_common.logconfig import get_logger
from sync.runtime.refs import SourceFailed
from sync.settings import SyncSettings

log = get_logger(__name__)

CDK_PACKAGE = "airbyte-cdk"
# Measured on 2026-12-01 on this Python (3.11.7, linux x86_64): 7.39.1, the newest airbyte-cdk on PyPI, installs
# with uv (82 packages, ~220 MB with pandas and numpy) and its `source-declarative-manifest` runs every manifest
# sync.runtime.manifests builds (spec, check, discover, full and incremental reads, every pagination style,
# retries on 5xx and 429) against tests/simulators/paged_api.py. Settings may pin another
# (JUNCTION_CONNECTOR_CDK_VERSION).
CDK_VERSION = "7.39.1"
# PyPI sources asked for without a version run these, measured here (faker 7.2.1 brings airbyte-cdk 6.61.6).
MEASURED_SOURCES = {"airbyte-source-faker": "7.2.1"}
PACKAGE = re.compile(r"^airbyte-(cdk|source-[a-z0-9][a-z0-9-]{0,80})$")
VERSION = re.compile(r"^[0-9][0-9A-Za-z.+-]{0,40}$")
RECORD = "installed.json"


class InstallFailed(SourceFailed):
    """A connector environment could not be installed (so the source cannot run); the message says why."""


@dataclass(frozen=True)
class Installed:
    """A ready connector environment: the package's exact version and its console scripts."""

    package: str
    version: str
    venv: Path
    scripts: tuple[str, ...]

    def program(self, name: str) -> Path:
        """The path of one of the environment's console scripts."""
        return self.venv / "bin" / name


class ConnectorEnvironments:
    """Installs and finds connector environments under `<home>/connectors`."""

    def __init__(self, settings: SyncSettings) -> None:
        self.root = Path(settings.home).expanduser() / "connectors"
        self._uv = settings.connector_uv
        self._timeout_s = settings.connector_install_timeout_s

    async def ensure(self, package: str, version: str) -> Installed:
        """The environment of `package==version`, installed first when missing."""
        if not PACKAGE.fullmatch(package) or not VERSION.fullmatch(version):
            raise InstallFailed(f"{package}=={version} is not an Airbyte package name and version")
        return await asyncio.to_thread(self._ensure, package, version)

    def _ensure(self, package: str, version: str) -> Installed:
        venv = self.root / f"{package}-{version}"
        found = _load(venv)
        if found is not None:
            return found
        with _flock(self.root / f"{package}-{version}.lock", package):
            return _load(venv) or self._install(package, version, venv)

    def _install(self, package: str, version: str, venv: Path) -> Installed:
        started = time.monotonic()
        uv = self._uv_path()
        log.info("connector_install_started", package=package, version=version, target=str(venv),
                 installer="uv" if uv else "pip")
        shutil.rmtree(venv, ignore_errors=True)
        deadline = started + self._timeout_s
        for argv in _commands(uv, venv, f"{package}=={version}"):
            _run_logged(argv, package, deadline)
        scripts = _console_scripts(venv, package)
        installed = Installed(package, version, venv, scripts)
        elapsed = round(time.monotonic() - started, 1)
        _save(installed, elapsed, "uv" if uv else "pip")
        log.info("connector_install_finished", package=package, version=version, seconds=elapsed)
        return installed

    def _uv_path(self) -> str | None:
        """uv from settings, else on PATH, else the project's bootstrap copy (<repo>/.tools/bin/uv), else none
        (venv + pip; also when settings say `pip`)."""
        if self._uv == "pip":
            return None
        candidates = [self._uv, shutil.which("uv"), str(Path(sys.prefix).parent / ".tools" / "bin" / "uv")]
        return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def _commands(uv: str | None, venv: Path, requirement: str) -> list[list[str]]:
    python = str(venv / "bin" / "python")
    if uv is not None:
        return [[uv, "venv", "-q", "--python", sys.executable, str(venv)],
                [uv, "pip", "install", "--python", python, requirement]]
    return [[sys.executable, "-m", "venv", str(venv)],
            [python, "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off", requirement]]


def _run_logged(argv: list[str], package: str, deadline: float) -> None:
    """Run one installer step, each line of its output logged as it comes; fail on a non-zero exit or timeout."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "NO_COLOR": "1"})
    timer = threading.Timer(max(1.0, deadline - time.monotonic()), proc.kill)
    timer.start()
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip():
                lines.append(line.rstrip())
                log.info("connector_install_progress", package=package, line=line.rstrip())
        code = proc.wait()
    finally:
        timer.cancel()
    if code != 0:
        tail = "\n".join(lines[-15:])
        raise InstallFailed(f"installing {package} failed (exit {code}; is PyPI reachable?):\n{tail}")


def _console_scripts(venv: Path, package: str) -> tuple[str, ...]:
    probe = ("import importlib.metadata as m, json, sys; d = m.distribution(sys.argv[1]); "
             "print(json.dumps([d.version, sorted(e.name for e in d.entry_points if e.group == 'console_scripts')]))")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", probe, package], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    version, scripts = json.loads(out)
    log.info("connector_install_resolved", package=package, version=version, scripts=scripts)
    return tuple(scripts)


def _save(installed: Installed, seconds: float, installer: str) -> None:
    record = {"package": installed.package, "version": installed.version, "scripts": list(installed.scripts),
              "python": sys.version.split()[0], "installer": installer, "install_seconds": seconds,
              "installed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    partial = installed.venv / (RECORD + ".partial")
    partial.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(partial, installed.venv / RECORD)  # written last: an environment without it is not installed


def _load(venv: Path) -> Installed | None:
    try:
        data = json.loads((venv / RECORD).read_text())
        return Installed(str(data["package"]), str(data["version"]), venv, tuple(data["scripts"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextmanager
def _flock(path: Path, package: str) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("connector_install_waiting", package=package, lock=str(path))
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

"""nx-27017 from PyPI: a MongoDB wire-protocol server on SQLite, in a virtualenv of its own."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from junction_common.infra.paths import InfraPaths, resource_path
from junction_common.infra.process import InfraError, run_tool, say, tail

KIND = "nx-27017"
NX_VERSION = "0.8.1"
REQUIREMENT = f"nx-27017=={NX_VERSION}"
MARKER = "nx-27017"  # in its command line: the serve script's name and the data directory
SERVE_SCRIPT = "nx-27017-serve.py"
_INSTALLED = ".junction-installed"
_NETWORK_HINTS = (
    "failed to fetch",
    "connection refused",
    "network is unreachable",
    "name or service not known",
    "temporary failure in name resolution",
    "max retries exceeded",
    "newconnectionerror",
    "dns error",
    "timed out",
    "403",
)


def installed(paths: InfraPaths) -> bool:
    """True when the nx-27017 virtualenv holds the pinned version."""
    marker = paths.nx_venv / _INSTALLED
    return marker.is_file() and marker.read_text().strip() == REQUIREMENT


def data_dir(paths: InfraPaths) -> str:
    """The directory of per-database SQLite files (one `<db>.db` per logical database)."""
    return str(paths.mongo_data / KIND)


def pip_failure_message(output: str) -> str:
    """An error message for a failed install, naming a network problem when it is one."""
    lowered = output.lower()
    if any(hint in lowered for hint in _NETWORK_HINTS):
        head = f"could not download {REQUIREMENT} from PyPI (no network to the registry, or it refused)"
    else:
        head = f"installing {REQUIREMENT} failed"
    return f"{head}:\n{tail(output)}"


def _install_commands(paths: InfraPaths) -> list[list[str]]:
    venv = str(paths.nx_venv)
    python = str(paths.nx_venv / "bin" / "python")
    uv = shutil.which("uv")
    if uv is not None:
        return [
            [uv, "venv", "-q", "--python", sys.executable, venv],
            [uv, "pip", "install", "-q", "--python", python, REQUIREMENT],
        ]
    return [
        [sys.executable, "-m", "venv", venv],
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", REQUIREMENT],
    ]


def install(paths: InfraPaths) -> None:
    """Create `<home>/mongo/nx-venv` with nx-27017 in it, unless already cached."""
    if installed(paths):
        return
    say("installing %s from PyPI into %s ...", REQUIREMENT, paths.nx_venv)
    started = time.monotonic()
    shutil.rmtree(paths.nx_venv, ignore_errors=True)
    paths.mongo_dir.mkdir(parents=True, exist_ok=True)
    for argv in _install_commands(paths):
        try:
            run_tool(argv, cwd=paths.mongo_dir, timeout=900)
        except subprocess.CalledProcessError as exc:
            raise InfraError(pip_failure_message(exc.output or "")) from None
        except subprocess.TimeoutExpired:
            raise InfraError(f"installing {REQUIREMENT} took over 15 minutes; is PyPI reachable?") from None
    (paths.nx_venv / _INSTALLED).write_text(REQUIREMENT + "\n")
    say("%s installed (%.1fs)", REQUIREMENT, time.monotonic() - started)


def self_pid_file(paths: InfraPaths) -> Path:
    """nx-27017's own pid file; it refuses to start while that names a live process, so clear it first."""
    return paths.run / "nx-27017.self.pid"


def command(paths: InfraPaths, port: int) -> list[str]:
    """The command line serving the MongoDB wire protocol on 127.0.0.1:`port`."""
    return serve_argv(paths.nx_venv, data_dir(paths), port, self_pid_file(paths))


def serve_argv(venv: Path, data: str, port: int, pid_file: Path) -> list[str]:
    """nx-27017 from `venv` over the SQLite files in `data`, on 127.0.0.1:`port`: its threaded server, logging
    warnings only (resources/nx-27017-serve.py says why). Its log lines go to stderr, which the caller keeps
    (the managed server's is appended to logs/mongo.log)."""
    return [str(venv / "bin" / "python"), str(resource_path(SERVE_SCRIPT)), "--data-dir", data,
            "--host", "127.0.0.1", "-p", str(port), "-j", "WAL", "--pid-file", str(pid_file),
            "--log-file", "/dev/null"]

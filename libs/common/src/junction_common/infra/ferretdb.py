"""FerretDB 1.x on SQLite, built once from a tiny Go main around its embeddable package."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

from junction_common.infra.paths import InfraPaths, resource_text
from junction_common.infra.process import InfraError, require_tool, run_tool, say, tail

KIND = "ferretdb"
FERRETDB_VERSION = "1.24.1"
MODULE = "github.com/FerretDB/FerretDB"
PACKAGE = f"{MODULE}/ferretdb"
MARKER = "junction-ferretdb"
RETRY_AFTER = 24 * 3600.0
_INSTALLED = ".junction-installed"
_REFUSAL = re.compile(r"\b(403 Forbidden|404 Not Found|410 Gone)\b", re.IGNORECASE)
_NETWORK_HINTS = ("dial tcp", "no such host", "i/o timeout", "could not resolve host", "unable to access")
_RESPONSE = re.compile(r"server response:\s*(.+)")


class FerretDBUnavailable(InfraError):
    """FerretDB cannot be built here; the message is the reason."""


def classify_go_failure(output: str) -> str:
    """A one-paragraph reason for a failed `go get`/`go build`, naming proxy and checksum-DB refusals."""
    lowered = output.lower()
    if "sum.golang.org" in lowered or "verifying module" in lowered or "verifying go.mod" in lowered:
        return (
            "the Go checksum database (sum.golang.org) is unreachable or refused to verify "
            f"{MODULE}@v{FERRETDB_VERSION}; if you trust your module proxy, set GOSUMDB=off "
            "(or GONOSUMDB=github.com/FerretDB) and run `junction infra up` again"
        )
    refusal = _REFUSAL.search(output)
    if refusal is not None:
        proxy = os.environ.get("GOPROXY") or _go_env("GOPROXY") or "?"
        response = _RESPONSE.search(output)
        detail = refusal.group(0) + (": " + response.group(1).strip() if response else "")
        return f"the Go module proxy (GOPROXY={proxy}) refuses {MODULE}@v{FERRETDB_VERSION} ({detail})"
    if any(hint in lowered for hint in _NETWORK_HINTS):
        return f"no network to the Go module proxy:\n{tail(output, 6)}"
    return f"building FerretDB {FERRETDB_VERSION} failed:\n{tail(output)}"


def _go_env(name: str) -> str:
    try:
        return run_tool(["go", "env", name], cwd=Path.cwd(), timeout=30).strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def recent_failure(paths: InfraPaths, now: float | None = None) -> str | None:
    """The recorded reason of a build failure younger than 24 h, or None."""
    try:
        data = json.loads(paths.ferretdb_marker.read_text())
        when, reason = float(data["time"]), str(data["reason"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    current = time.time() if now is None else now
    return reason if current - when < RETRY_AFTER else None


def record_failure(paths: InfraPaths, reason: str) -> None:
    """Remember a build failure so `auto` mode does not retry the network for 24 h."""
    paths.ferretdb_marker.parent.mkdir(parents=True, exist_ok=True)
    paths.ferretdb_marker.write_text(json.dumps({"time": time.time(), "reason": reason}, indent=2) + "\n")


def installed(paths: InfraPaths) -> bool:
    """True when the cached binary was built from the pinned FerretDB version."""
    marker = paths.ferretdb_bin.parent / _INSTALLED
    return (
        paths.ferretdb_bin.is_file() and marker.is_file() and marker.read_text().strip() == FERRETDB_VERSION
    )


def _go_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("GOTOOLCHAIN", "local")  # never download a Go toolchain behind the user's back
    env.setdefault("CGO_ENABLED", "0")  # FerretDB's SQLite driver is pure Go
    return env


def _go_steps(go: str, paths: InfraPaths) -> list[list[str]]:
    steps = []
    if not (paths.ferretdb_src / "go.mod").is_file():
        steps.append([go, "mod", "init", "junction.local/ferretdb"])
    steps.append([go, "get", f"{PACKAGE}@v{FERRETDB_VERSION}"])
    steps.append([go, "build", "-trimpath", "-o", str(paths.ferretdb_bin), "."])
    return steps


def build(paths: InfraPaths) -> None:
    """Build `<home>/mongo/bin/junction-ferretdb` once; FerretDBUnavailable explains any failure."""
    if installed(paths):
        return
    try:
        go = require_tool("go", "FerretDB is built from source with Go 1.21+")
    except InfraError as exc:
        raise FerretDBUnavailable(str(exc)) from None
    say("building FerretDB %s from the Go module proxy ...", FERRETDB_VERSION)
    started = time.monotonic()
    paths.ferretdb_src.mkdir(parents=True, exist_ok=True)
    paths.ferretdb_bin.parent.mkdir(parents=True, exist_ok=True)
    (paths.ferretdb_src / "main.go").write_text(resource_text("ferretdb_main.go"))
    for argv in _go_steps(go, paths):
        try:
            run_tool(argv, cwd=paths.ferretdb_src, timeout=1200, env=_go_environment())
        except subprocess.CalledProcessError as exc:
            reason = classify_go_failure(exc.output or "")
            record_failure(paths, reason)
            raise FerretDBUnavailable(reason) from None
        except subprocess.TimeoutExpired:
            record_failure(paths, "Go build timed out after 20 minutes")
            raise FerretDBUnavailable("Go build timed out after 20 minutes") from None
    (paths.ferretdb_bin.parent / _INSTALLED).write_text(FERRETDB_VERSION + "\n")
    paths.ferretdb_marker.unlink(missing_ok=True)
    say("FerretDB %s built (%.1fs)", FERRETDB_VERSION, time.monotonic() - started)


def data_dir(paths: InfraPaths) -> Path:
    """The directory of FerretDB's SQLite files."""
    return paths.mongo_data / KIND


def command(paths: InfraPaths, port: int) -> list[str]:
    """The command line serving the MongoDB wire protocol on 127.0.0.1:`port`."""
    url = f"file:{data_dir(paths)}/"
    return [str(paths.ferretdb_bin), "-listen", f"127.0.0.1:{port}", "-sqlite-url", url]

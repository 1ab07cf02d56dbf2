"""Detached server processes: spawning, pid records, liveness, stopping, tools and progress output."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
ANSI_CODES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class InfraError(RuntimeError):
    """A server could not be installed, started or reached; the message says what is missing."""


def say(message: str, *args: object) -> None:
    """Print one `[infra]` progress line to stderr (printf-style arguments)."""
    text = message % args if args else message
    sys.stderr.write("[infra] " + text + "\n")  # one write per line: two servers start concurrently
    sys.stderr.flush()


@dataclass(frozen=True)
class RunRecord:
    """What `up` recorded about a server it started."""

    pid: int
    address: str
    kind: str
    version: str


def save_record(state_file: Path, pid_file: Path, record: RunRecord) -> None:
    """Write the pid file and the JSON record of a started server."""
    state_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(f"{record.pid}\n")
    state_file.write_text(json.dumps(asdict(record), indent=2) + "\n")


def load_record(state_file: Path) -> RunRecord | None:
    """The JSON record of a server, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads(state_file.read_text())
        return RunRecord(int(data["pid"]), str(data["address"]), str(data["kind"]), str(data["version"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def clear_record(state_file: Path, pid_file: Path) -> None:
    """Forget a server that is no longer running."""
    state_file.unlink(missing_ok=True)
    pid_file.unlink(missing_ok=True)


def pid_alive(pid: int) -> bool:
    """True while `pid` is a live (not zombie) process; reaps it when it is our own dead child."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def pid_matches(pid: int, marker: str) -> bool:
    """True when the live process `pid` looks like ours (its command line mentions `marker`)."""
    if not pid_alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc (macOS): trust the pid file
    return marker.encode() in cmdline


def spawn_detached(
    argv: Sequence[str], log_file: Path, cwd: Path, env: Mapping[str, str] | None = None
) -> int:
    """Start `argv` in its own session, output appended to `log_file`; return its pid."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(os.devnull, "rb") as stdin, open(log_file, "ab") as out:
        proc = subprocess.Popen(
            list(argv),
            stdin=stdin,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            start_new_session=True,
            close_fds=True,
        )
    # The process outlives this object on purpose; mark it so Popen does not warn about it.
    proc.returncode = 0
    return proc.pid


def stop_pid(pid: int, timeout: float) -> bool:
    """SIGTERM the process group of `pid`, SIGKILL it after `timeout` s; True if it had to be killed."""
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return False
        time.sleep(0.1)
    _signal_group(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return True


def kill_group(pid: int, timeout: float = 10.0) -> None:
    """SIGKILL the process group of `pid` at once (a crash, not a shutdown) and wait until it is gone."""
    _signal_group(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def require_tool(name: str, why: str) -> str:
    """The absolute path of executable `name`, or an InfraError saying why it is needed."""
    found = shutil.which(name)
    if found is None:
        raise InfraError(f"`{name}` not found on PATH: {why}")
    return found


def run_tool(argv: Sequence[str], cwd: Path, timeout: float, env: Mapping[str, str] | None = None) -> str:
    """Run a build tool to completion; return its combined output, raising CalledProcessError on failure."""
    done = subprocess.run(
        list(argv),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, list(argv), output=done.stdout)
    return done.stdout


def tail(text: str, lines: int = 20) -> str:
    """The last `lines` non-empty lines of `text` (colour codes removed), indented for an error message."""
    kept = [line for line in ANSI_CODES.sub("", text).splitlines() if line.strip()][-lines:]
    return "\n".join("    " + line for line in kept)


def log_tail(log_file: Path, lines: int = 30) -> str:
    """The end of a server's log file for an error message."""
    try:
        with open(log_file, "rb") as fh:
            fh.seek(max(0, log_file.stat().st_size - 64 * 1024))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return f"    (no log at {log_file})"
    return f"  last lines of {log_file}:\n" + tail(text, lines)


@contextmanager
def exclusive_lock(lock_file: Path) -> Iterator[None]:
    """Hold an fcntl lock on `lock_file` so concurrent `up`/`down` calls take turns."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("waiting for another `junction infra` call to finish (lock %s) ...", lock_file)
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def tcp_reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when a TCP connection to host:port succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_tcp(addresses: Sequence[tuple[str, int]], timeout: float, what: str) -> None:
    """Wait until any of `addresses` accepts TCP connections, or raise InfraError naming `what`."""
    deadline = time.monotonic() + timeout
    announced = False
    while not any(tcp_reachable(host, port) for host, port in addresses):
        if time.monotonic() >= deadline:
            shown = ", ".join(f"{host}:{port}" for host, port in addresses)
            raise InfraError(f"{what} at {shown} not reachable after {timeout:.0f}s")
        if not announced:
            say("waiting for %s ...", what)
            announced = True
        time.sleep(0.5)


def live_record(
    state_file: Path, pid_file: Path, markers: Mapping[str, str], forget_stale: bool = True
) -> RunRecord | None:
    """The record of a server that still runs (its kind's marker in its command line), else None."""
    record = load_record(state_file)
    if record is not None and pid_matches(record.pid, markers.get(record.kind, record.kind)):
        return record
    if forget_stale:
        clear_record(state_file, pid_file)
    return None


def require_same_address(record: RunRecord, address: str, what: str) -> None:
    """Refuse to reuse a running server that listens somewhere other than where settings point."""
    if record.address != address:
        raise InfraError(
            f"the managed {what} is running on {record.address} (pid {record.pid}) but settings ask for "
            f"{address}; run `junction infra down` first"
        )


def require_free_ports(ports: Sequence[int], what: str) -> None:
    """Refuse to start a server when something Junction did not start already holds its ports."""
    for port in ports:
        if tcp_reachable("127.0.0.1", port):
            raise InfraError(
                f"127.0.0.1:{port} is already in use by a process `junction infra` did not start, so the "
                f"managed {what} cannot listen there; stop it, pick another port, or use it as an external "
                "server (set JUNCTION_KAFKA_BOOTSTRAP / JUNCTION_MONGODB_URL)"
            )


def run_coroutine(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, even when this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()

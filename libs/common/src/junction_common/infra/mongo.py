"""The MongoDB-protocol server: nx-27017 on SQLite by default; FerretDB on SQLite only when asked.

`auto` picks nx-27017 because it is the measured fastest embeddable server that passes the storage
contract suite (tests/storage): 180 write-path commands/s at 16 concurrent against 10/s for FerretDB
1.24 on PostgreSQL and 5/s on SQLite, and FerretDB refuses `renameCollection` with `dropTarget`
(see docs/operations.md, "Choosing the MongoDB-protocol server"; re-measure with `make bench-storage`).
"""

from __future__ import annotations

import os
import time
from typing import Any

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from junction_common.infra import ferretdb, nx27017
from junction_common.infra.ferretdb import FerretDBUnavailable
from junction_common.infra.paths import InfraPaths
from junction_common.infra.process import (
    InfraError,
    RunRecord,
    clear_record,
    live_record,
    log_tail,
    pid_alive,
    require_free_ports,
    require_same_address,
    save_record,
    say,
    spawn_detached,
    stop_pid,
)

SERVER_ENV = "JUNCTION_MONGO_SERVER"
CHOICES = ("auto", "ferretdb", "nx27017")
MARKERS = {ferretdb.KIND: ferretdb.MARKER, nx27017.KIND: nx27017.MARKER}
VERSIONS = {ferretdb.KIND: ferretdb.FERRETDB_VERSION, nx27017.KIND: nx27017.NX_VERSION}
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


def server_choice() -> str:
    """JUNCTION_MONGO_SERVER: auto (default), ferretdb or nx27017."""
    value = os.environ.get(SERVER_ENV, "auto").strip().lower().replace("-", "").replace("_", "")
    if value not in CHOICES:
        raise InfraError(f"{SERVER_ENV}={value!r}: expected one of {', '.join(CHOICES)}")
    return value


def last_kind(paths: InfraPaths) -> str | None:
    """The kind that last served this home's data, so `auto` never switches data sets silently."""
    try:
        kind = (paths.mongo_dir / "kind").read_text().strip()
    except OSError:
        return None
    return kind if kind in MARKERS else None


def _installed(paths: InfraPaths, kind: str) -> bool:
    return ferretdb.installed(paths) if kind == ferretdb.KIND else nx27017.installed(paths)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _auto_kind(paths: InfraPaths) -> str:
    """nx-27017, unless this home's data was written by an installed FerretDB (never switch silently)."""
    previous = last_kind(paths)
    if previous == ferretdb.KIND and ferretdb.installed(paths):
        say(
            "this home's data was written by FerretDB; keeping it (set %s=nx27017 to use nx-27017, "
            "which starts with the data nx-27017 last held)",
            SERVER_ENV,
        )
        return ferretdb.KIND
    nx27017.install(paths)
    return nx27017.KIND


def prepare(paths: InfraPaths, choice: str) -> str:
    """Install (cached) the server `choice` asks for and return its kind."""
    if choice == "ferretdb":
        try:
            ferretdb.build(paths)
        except FerretDBUnavailable as exc:
            raise InfraError(f"{exc}\n(set {SERVER_ENV}=auto or nx27017 to use nx-27017 instead)") from None
        return ferretdb.KIND
    if choice == "nx27017":
        nx27017.install(paths)
        return nx27017.KIND
    return _auto_kind(paths)


def wait_ready(url: str, pid: int | None, paths: InfraPaths | None, timeout: float = READY_TIMEOUT) -> None:
    """Wait until `ping` succeeds at `url`, or fail (with the end of the managed server's log)."""
    deadline = time.monotonic() + timeout
    last_error = "no answer"
    while time.monotonic() < deadline:
        if pid is not None and not pid_alive(pid):
            raise InfraError(f"the MongoDB-protocol server (pid {pid}) exited during startup\n{_logs(paths)}")
        try:
            _ping(url)
            return
        except PyMongoError as exc:
            last_error = f"{type(exc).__name__}: {_first_line(str(exc))}"
        time.sleep(0.3)
    raise InfraError(
        f"MongoDB-protocol server at {url} not ready after {timeout:.0f}s ({last_error})\n{_logs(paths)}"
    )


def _ping(url: str) -> None:
    client: MongoClient[dict[str, Any]] = MongoClient(
        url, serverSelectionTimeoutMS=1000, connectTimeoutMS=1000
    )
    with client:
        client.admin.command("ping")


def identify(url: str) -> dict[str, str]:
    """What the server at `url` says it is: {"kind", "version"} (FerretDB and MongoDB tell apart)."""
    client: MongoClient[dict[str, Any]] = MongoClient(url, serverSelectionTimeoutMS=2000, connectTimeoutMS=2000)
    try:
        with client:
            info = client.admin.command("buildInfo")
    except PyMongoError:
        return {}
    if "ferretdbVersion" in info:
        return {"kind": ferretdb.KIND, "version": str(info["ferretdbVersion"])}
    if info.get("process") == "nx_27017":
        return {"kind": nx27017.KIND, "version": f"(speaks MongoDB {info.get('version', '?')})"}
    return {"kind": "mongodb", "version": str(info.get("version", "?"))}


def _logs(paths: InfraPaths | None) -> str:
    return log_tail(paths.log("mongo")) if paths is not None else ""


def _command(paths: InfraPaths, kind: str, port: int) -> list[str]:
    if kind == ferretdb.KIND:
        ferretdb.data_dir(paths).mkdir(parents=True, exist_ok=True)
        return ferretdb.command(paths, port)
    (paths.mongo_data / nx27017.KIND).mkdir(parents=True, exist_ok=True)
    nx27017.self_pid_file(paths).unlink(missing_ok=True)  # pids get reused
    return nx27017.command(paths, port)


def _start(paths: InfraPaths, kind: str, port: int, url: str) -> RunRecord:
    say("starting %s %s on 127.0.0.1:%d ...", kind, VERSIONS[kind], port)
    pid = spawn_detached(_command(paths, kind, port), paths.log("mongo"), cwd=paths.mongo_dir)
    record = RunRecord(pid=pid, address=f"127.0.0.1:{port}", kind=kind, version=VERSIONS[kind])
    save_record(paths.state_file("mongo"), paths.pid_file("mongo"), record)
    try:
        wait_ready(url, pid, paths)
    except InfraError:
        stop_pid(pid, STOP_TIMEOUT)
        clear_record(paths.state_file("mongo"), paths.pid_file("mongo"))
        raise
    (paths.mongo_dir / "kind").write_text(kind + "\n")
    return record


def ensure_running(paths: InfraPaths, port: int, url: str) -> None:
    """Install (cached) and start the managed MongoDB-protocol server unless it already runs."""
    started = time.monotonic()
    record = live_record(paths.state_file("mongo"), paths.pid_file("mongo"), MARKERS)
    if record is not None:
        require_same_address(record, f"127.0.0.1:{port}", "MongoDB-protocol server")
        wait_ready(url, record.pid, paths)
        say("mongo already running on %s (%s, pid %d)", record.address, record.kind, record.pid)
        return
    require_free_ports([port], "MongoDB-protocol server")
    choice = server_choice()
    kind = prepare(paths, choice)
    record = _start(paths, kind, port, url)
    say(
        "mongo ready on %s (%s %s, %.1fs)",
        record.address,
        record.kind,
        record.version,
        time.monotonic() - started,
    )


def stop(paths: InfraPaths) -> None:
    """Stop the managed MongoDB-protocol server (SIGTERM, then SIGKILL after a timeout) if it runs."""
    record = live_record(paths.state_file("mongo"), paths.pid_file("mongo"), MARKERS)
    if record is None:
        say("no managed MongoDB-protocol server is running")
        return
    say("stopping %s (pid %d) ...", record.kind, record.pid)
    killed = stop_pid(record.pid, STOP_TIMEOUT)
    clear_record(paths.state_file("mongo"), paths.pid_file("mongo"))
    say("mongo stopped%s", " (killed after timeout)" if killed else "")

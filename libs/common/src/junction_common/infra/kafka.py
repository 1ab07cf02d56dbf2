"""Apache Kafka from its own jars on Maven Central: one broker+controller node on 127.0.0.1."""

from __future__ import annotations

import base64
import logging
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from junction_common.infra.kafka_install import KAFKA_VERSION, find_java, install_jars
from junction_common.infra.paths import InfraPaths, render, resource_text
from junction_common.infra.process import (
    InfraError,
    RunRecord,
    clear_record,
    live_record,
    log_tail,
    pid_alive,
    require_free_ports,
    require_same_address,
    run_coroutine,
    run_tool,
    save_record,
    say,
    spawn_detached,
    stop_pid,
    tail,
    tcp_reachable,
)

READY_TIMEOUT = 60.0
# A broker with thousands of partitions on disk loads them before it answers; while its log still grows it is
# making progress, so the wait goes on (up to this cap) instead of failing at READY_TIMEOUT.
LOADING_CAP = 900.0
STOP_TIMEOUT = 30.0
MARKERS = {"kafka": "kafka.Kafka"}
JVM_OPTS = (
    "-Xms256m",
    "-Xmx768m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
)


def render_server_properties(port: int, data_dir: Path) -> str:
    """server.properties of the single combined node: clients on `port`, controller on `port + 1`."""
    values = {"PORT": port, "CONTROLLER_PORT": port + 1, "DATA_DIR": data_dir}
    return render(resource_text("kafka-server.properties"), values)


def new_cluster_id() -> str:
    """A KRaft cluster id: a uuid4 as 22 characters of URL-safe base64."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")


def _java_argv(java: str, paths: InfraPaths, main_class: str) -> list[str]:
    logging_opts = [
        f"-Dlog4j2.configurationFile={paths.kafka_log4j}",
        f"-Djunction.kafka.log={paths.log('kafka')}",
    ]
    return [java, *JVM_OPTS, *logging_opts, "-cp", f"{paths.kafka_lib}/*", main_class]


def write_config(paths: InfraPaths, port: int) -> None:
    """(Re)write server.properties and the log4j2 config for a node on `port`."""
    paths.kafka_data.mkdir(parents=True, exist_ok=True)
    paths.logs.mkdir(parents=True, exist_ok=True)
    paths.kafka_props.write_text(render_server_properties(port, paths.kafka_data))
    paths.kafka_log4j.write_text(resource_text("kafka-log4j2.properties"))


def cluster_id(paths: InfraPaths) -> str:
    """The stable cluster id of this installation, created on first use."""
    if paths.kafka_cluster_id.is_file():
        return paths.kafka_cluster_id.read_text().strip()
    value = new_cluster_id()
    paths.kafka_cluster_id.write_text(value + "\n")
    return value


def format_storage(paths: InfraPaths, java: str) -> None:
    """Format the KRaft log directory once (skipped when meta.properties exists)."""
    if (paths.kafka_data / "meta.properties").exists():
        return
    ident = cluster_id(paths)
    say("formatting Kafka storage in %s (cluster id %s) ...", paths.kafka_data, ident)
    argv = _java_argv(java, paths, "kafka.tools.StorageTool")
    argv += ["format", "-t", ident, "-c", str(paths.kafka_props)]
    try:
        run_tool(argv, cwd=paths.kafka_dir, timeout=120)
    except subprocess.CalledProcessError as exc:
        raise InfraError(f"formatting Kafka storage failed:\n{tail(exc.output or '')}") from None


async def _admin_probe(bootstrap: str) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        await admin.list_topics()
        # Consumer groups work once a coordinator answers (this also creates __consumer_offsets).
        await admin.find_coordinator("junction-infra-ready")
    finally:
        await admin.close()


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    logger = logging.getLogger(logger_name)
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _failure_logs(paths: InfraPaths) -> str:
    out = paths.log("kafka").with_suffix(".out")
    extra = log_tail(out, 10) if out.is_file() and out.stat().st_size else ""
    return "\n".join(part for part in (log_tail(paths.log("kafka")), extra) if part)


def _log_size(paths: InfraPaths) -> int:
    try:
        return paths.log("kafka").stat().st_size
    except OSError:
        return 0


def wait_ready(paths: InfraPaths, port: int, pid: int) -> None:
    """Wait until the broker answers a metadata request, or fail with the end of its log.

    The wait ends READY_TIMEOUT after the broker's log last grew (it is still loading partitions while it
    writes), and never later than LOADING_CAP.
    """
    bootstrap = f"127.0.0.1:{port}"
    started = time.monotonic()
    deadline = started + READY_TIMEOUT
    size = _log_size(paths)
    last_error = "port not open"
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            raise InfraError(f"Kafka (pid {pid}) exited during startup\n{_failure_logs(paths)}")
        if tcp_reachable("127.0.0.1", port):
            try:
                with _quiet("aiokafka"):
                    run_coroutine(lambda: _admin_probe(bootstrap))
                return
            except Exception as exc:  # any client error means "not ready yet"
                last_error = f"{type(exc).__name__}: {exc}"
        grown = _log_size(paths)
        if grown != size:
            size = grown
            deadline = min(started + LOADING_CAP, time.monotonic() + READY_TIMEOUT)
        time.sleep(0.5)
    waited = time.monotonic() - started
    raise InfraError(
        f"Kafka on {bootstrap} not ready after {waited:.0f}s ({last_error})\n{_failure_logs(paths)}"
    )


def _start(paths: InfraPaths, java: str, port: int) -> int:
    argv = [*_java_argv(java, paths, "kafka.Kafka"), str(paths.kafka_props)]
    pid = spawn_detached(argv, paths.log("kafka").with_suffix(".out"), cwd=paths.kafka_dir)
    record = RunRecord(pid=pid, address=f"127.0.0.1:{port}", kind="kafka", version=KAFKA_VERSION)
    save_record(paths.state_file("kafka"), paths.pid_file("kafka"), record)
    return pid


def ensure_running(paths: InfraPaths, port: int) -> None:
    """Install (cached), format (once) and start the managed broker unless it already runs."""
    started = time.monotonic()
    record = live_record(paths.state_file("kafka"), paths.pid_file("kafka"), MARKERS)
    if record is not None:
        require_same_address(record, f"127.0.0.1:{port}", "Kafka")
        wait_ready(paths, port, record.pid)
        say("kafka already running on %s (pid %d)", record.address, record.pid)
        return
    require_free_ports([port, port + 1], "Kafka")
    java = find_java()
    install_jars(paths)
    write_config(paths, port)
    format_storage(paths, java)
    say("starting Kafka %s on 127.0.0.1:%d ...", KAFKA_VERSION, port)
    pid = _start(paths, java, port)
    wait_ready(paths, port, pid)
    say("kafka ready on 127.0.0.1:%d (%.1fs)", port, time.monotonic() - started)


def stop(paths: InfraPaths) -> None:
    """Stop the managed broker (SIGTERM, then SIGKILL after a timeout) if it runs."""
    record = live_record(paths.state_file("kafka"), paths.pid_file("kafka"), MARKERS)
    if record is None:
        say("no managed Kafka is running")
        return
    say("stopping Kafka (pid %d) ...", record.pid)
    killed = stop_pid(record.pid, STOP_TIMEOUT)
    clear_record(paths.state_file("kafka"), paths.pid_file("kafka"))
    say("kafka stopped%s", " (killed after timeout)" if killed else "")

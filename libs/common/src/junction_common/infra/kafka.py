"""Apache Kafka from its own jars on Maven Central: one broker+controller node on 127.0.0.1."""

from __future__ import annotations

import base64
import logging
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
    require_tool,
    run_coroutine,
    run_tool,
    save_record,
    say,
    spawn_detached,
    stop_pid,
    tail,
    tcp_reachable,
)

KAFKA_VERSION = "4.1.1"
LOG4J_VERSION = "2.24.3"
SLF4J_VERSION = "2.0.16"
DEPENDENCY_PLUGIN_VERSION = "3.8.1"
MIN_JAVA = 17
READY_TIMEOUT = 60.0
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
_INSTALLED = ".junction-installed"
_NETWORK_HINTS = (
    "could not transfer",
    "unknownhost",
    "unknown host",
    "connection refused",
    "network is unreachable",
    "connect timed out",
    "read timed out",
    "status code: 4",
    "status code: 5",
)


def render_pom() -> str:
    """The Maven project whose runtime dependencies are Kafka's broker classpath."""
    return render(
        resource_text("kafka-pom.xml"),
        {
            "KAFKA_VERSION": KAFKA_VERSION,
            "SLF4J_VERSION": SLF4J_VERSION,
            "LOG4J_VERSION": LOG4J_VERSION,
            "DEPENDENCY_PLUGIN_VERSION": DEPENDENCY_PLUGIN_VERSION,
        },
    )


def render_server_properties(port: int, data_dir: Path) -> str:
    """server.properties of the single combined node: clients on `port`, controller on `port + 1`."""
    values = {"PORT": port, "CONTROLLER_PORT": port + 1, "DATA_DIR": data_dir}
    return render(resource_text("kafka-server.properties"), values)


def new_cluster_id() -> str:
    """A KRaft cluster id: a uuid4 as 22 characters of URL-safe base64."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")


def parse_java_major(version_output: str) -> int | None:
    """The major version in `java -version` output (`1.8.0_392` -> 8, `17.0.15` -> 17)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if match is None:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def maven_failure_message(output: str) -> str:
    """An error message for a failed `mvn copy-dependencies`, naming a network problem when it is one."""
    lowered = output.lower()
    if any(hint in lowered for hint in _NETWORK_HINTS):
        head = (
            "Maven could not download Kafka's jars from Maven Central (no network to the registry, "
            "or a proxy/mirror in ~/.m2/settings.xml refusing it)"
        )
    else:
        head = "Maven failed to resolve Kafka's jars"
    return f"{head}:\n{tail(output)}"


def jars_installed(paths: InfraPaths) -> bool:
    """True when the broker classpath for KAFKA_VERSION is complete in the cache."""
    marker = paths.kafka_lib / _INSTALLED
    return marker.is_file() and marker.read_text().strip() == KAFKA_VERSION


def find_java() -> str:
    """The `java` to run Kafka with (JAVA_HOME first), checked to be Java 17 or newer."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    why = f"Kafka {KAFKA_VERSION} needs Java {MIN_JAVA}+ (install e.g. openjdk-17-jre-headless or set JAVA_HOME)"
    java = str(candidate) if candidate and candidate.is_file() else require_tool("java", why)
    done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60, check=False)
    major = parse_java_major(done.stderr + done.stdout)
    if major is None or major < MIN_JAVA:
        found = f"Java {major}" if major else "an unknown Java version"
        raise InfraError(f"Kafka {KAFKA_VERSION} needs Java {MIN_JAVA}+, but {java} is {found}")
    return java


def install_jars(paths: InfraPaths) -> None:
    """Resolve Kafka and a log4j2 binding into kafka/lib with Maven, unless already cached."""
    if jars_installed(paths):
        return
    mvn = require_tool("mvn", "Kafka's jars are resolved from Maven Central with Maven (install e.g. maven)")
    say("resolving Kafka %s jars from Maven Central ...", KAFKA_VERSION)
    started = time.monotonic()
    paths.kafka_dir.mkdir(parents=True, exist_ok=True)
    paths.kafka_pom.write_text(render_pom())
    partial = paths.kafka_dir / "lib.partial"
    shutil.rmtree(partial, ignore_errors=True)
    argv = [mvn, "-q", "-B", "-f", str(paths.kafka_pom), "dependency:copy-dependencies"]
    argv += [f"-DoutputDirectory={partial}", "-DincludeScope=runtime"]
    try:
        run_tool(argv, cwd=paths.kafka_dir, timeout=1800)
    except subprocess.CalledProcessError as exc:
        raise InfraError(maven_failure_message(exc.output or "")) from None
    except subprocess.TimeoutExpired:
        raise InfraError("Maven took over 30 minutes resolving Kafka's jars; is Maven Central reachable?") from None
    (partial / _INSTALLED).write_text(KAFKA_VERSION + "\n")
    shutil.rmtree(paths.kafka_lib, ignore_errors=True)
    partial.rename(paths.kafka_lib)
    say("kafka jars cached in %s (%.1fs)", paths.kafka_lib, time.monotonic() - started)


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


def wait_ready(paths: InfraPaths, port: int, pid: int) -> None:
    """Wait until the broker answers a metadata request, or fail with the end of its log."""
    bootstrap = f"127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT
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
        time.sleep(0.5)
    raise InfraError(f"Kafka on {bootstrap} not ready after {READY_TIMEOUT:.0f}s ({last_error})\n{_failure_logs(paths)}")


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
        say("kafka is not running")
        return
    say("stopping Kafka (pid %d) ...", record.pid)
    killed = stop_pid(record.pid, STOP_TIMEOUT)
    clear_record(paths.state_file("kafka"), paths.pid_file("kafka"))
    say("kafka stopped%s", " (killed after %.0fs)" % STOP_TIMEOUT if killed else "")

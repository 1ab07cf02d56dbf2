"""A private Kafka and nx-27017 for fault tests: their own ports, data and logs, the cached installs.

Fault tests SIGKILL and restart these servers, so they never touch the shared ones other tests use. The
Kafka jars and the nx-27017 virtualenv are the ones `junction infra up` cached (installed there first if
missing), linked into the private home; everything else (config, data, pid records, logs) is its own.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from pathlib import Path

from junction_common.infra import kafka, kafka_install, mongo, nx27017
from junction_common.infra.paths import InfraPaths
from junction_common.infra.process import InfraError, kill_group, live_record, tcp_reachable


def linked_home(home: Path, cache: InfraPaths) -> InfraPaths:
    """Paths under `home` whose Kafka jars and nx-27017 virtualenv are `cache`'s (installed there if missing)."""
    kafka_install.install_jars(cache)
    nx27017.install(cache)
    paths = InfraPaths(home)
    for link, target in ((paths.kafka_lib, cache.kafka_lib), (paths.nx_venv, cache.nx_venv)):
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(target, target_is_directory=True)
    return paths


def free_port_pair() -> int:
    """A free port `p` whose neighbour `p + 1` is free too (Kafka's controller listens there)."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port: int = first.getsockname()[1]
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
        return port
    raise InfraError("no two adjacent free ports on 127.0.0.1")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class PrivateInfra:
    """One private broker and one private nx-27017 under `paths.home`; start, SIGKILL and restart each."""

    paths: InfraPaths
    kafka_port: int
    mongo_port: int

    @classmethod
    def create(cls, home: Path, cache: InfraPaths) -> PrivateInfra:
        return cls(linked_home(home, cache), free_port_pair(), free_port())

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def mongodb_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}/?directConnection=true"

    def start_kafka(self) -> None:
        """Start (or restart after a kill) the private broker on its port and wait until it serves."""
        kafka.ensure_running(self.paths, self.kafka_port)

    def start_mongo(self) -> None:
        """Start (or restart after a kill) the private nx-27017 on its port and wait until it answers."""
        mongo.ensure_running(self.paths, self.mongo_port, self.mongodb_url)

    def kafka_pid(self) -> int | None:
        record = live_record(self.paths.state_file("kafka"), self.paths.pid_file("kafka"), kafka.MARKERS)
        return record.pid if record else None

    def mongo_pid(self) -> int | None:
        record = live_record(self.paths.state_file("mongo"), self.paths.pid_file("mongo"), mongo.MARKERS)
        return record.pid if record else None

    def kill_kafka(self) -> None:
        """SIGKILL the private broker (no clean shutdown: what a crash or an OOM kill looks like)."""
        pid = self.kafka_pid()
        if pid is not None:
            kill_group(pid)
        _wait_closed([self.kafka_port, self.kafka_port + 1])

    def kill_mongo(self) -> None:
        """SIGKILL the private nx-27017."""
        pid = self.mongo_pid()
        if pid is not None:
            kill_group(pid)
        _wait_closed([self.mongo_port])

    def stop(self) -> None:
        """Stop both private servers (SIGTERM, then SIGKILL); their data stays under the home."""
        mongo.stop(self.paths)
        kafka.stop(self.paths)


def _wait_closed(ports: list[int], timeout: float = 15.0) -> None:
    # A killed JVM's main thread is a zombie while its other threads still tear down and hold the sockets.
    deadline = time.monotonic() + timeout
    while any(tcp_reachable("127.0.0.1", port, 0.2) for port in ports):
        if time.monotonic() > deadline:
            raise InfraError(f"ports {ports} still open {timeout:.0f}s after SIGKILL")
        time.sleep(0.05)

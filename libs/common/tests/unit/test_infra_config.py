"""The pure configuration side of the self-installing infrastructure: no network, no processes."""

from __future__ import annotations

import base64
import json
import threading
import time
from pathlib import Path

import pytest

from junction_common.infra import ferretdb, kafka, kafka_install, mongo, nx27017
from junction_common.infra.paths import (
    InfraPaths,
    is_external,
    kafka_addresses,
    managed_address,
    mongo_addresses,
    render,
    split_host_port,
)
from junction_common.infra.process import InfraError, RunRecord, load_record, save_record, tail
from junction_common.settings import JunctionSettings


def test_server_properties_put_the_controller_on_the_next_port(tmp_path: Path) -> None:
    text = kafka.render_server_properties(29092, tmp_path / "data")
    props = dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:29092"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:29093"
    assert props["log.dirs"] == str(tmp_path / "data")
    assert props["process.roles"] == "broker,controller"
    assert props["auto.create.topics.enable"] == "false"
    assert props["offsets.topic.replication.factor"] == "1"


def test_pom_pins_kafka_the_slf4j2_api_and_the_dependency_plugin() -> None:
    pom = kafka_install.render_pom()
    assert "<artifactId>kafka_2.13</artifactId>" in pom
    assert f"<version>{kafka_install.KAFKA_VERSION}</version>" in pom
    assert f"<version>{kafka_install.SLF4J_VERSION}</version>" in pom
    assert "<artifactId>log4j-slf4j2-impl</artifactId>" in pom
    assert f"<version>{kafka_install.DEPENDENCY_PLUGIN_VERSION}</version>" in pom
    assert "<packaging>pom</packaging>" in pom
    assert "@" not in pom.replace("xmlns", "")


def test_render_refuses_unfilled_placeholders() -> None:
    assert render("a=@A@", {"A": 1}) == "a=1"
    with pytest.raises(ValueError, match="@B@"):
        render("a=@A@ b=@B@", {"A": 1})


def test_cluster_id_is_22_urlsafe_characters_of_a_uuid() -> None:
    ident = kafka.new_cluster_id()
    assert len(ident) == 22
    assert len(base64.urlsafe_b64decode(ident + "==")) == 16
    assert ident != kafka.new_cluster_id()


def test_cluster_id_is_stable_per_home(tmp_path: Path) -> None:
    paths = InfraPaths(tmp_path)
    paths.kafka_dir.mkdir(parents=True)
    assert kafka.cluster_id(paths) == kafka.cluster_id(paths)


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('openjdk version "21" 2023-09-19', 21),
        ('java version "1.8.0_392"', 8),
        ("no version here", None),
    ],
)
def test_java_major_version(output: str, major: int | None) -> None:
    assert kafka_install.parse_java_major(output) == major


def test_maven_network_failures_are_named_as_such() -> None:
    output = "\x1b[0m[ERROR] Could not transfer artifact x from/to central: Connection refused -> [Help 1]\n"
    output += "[ERROR] Re-run Maven using the -X switch to enable full debug logging.\n"
    message = kafka_install.maven_failure_message(output)
    assert message.startswith("Maven could not download Kafka's jars from Maven Central")
    assert "Connection refused" in message
    assert "Re-run Maven" not in message and "\x1b" not in message


def test_go_failures_name_proxy_refusals_and_the_checksum_db(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOPROXY", "https://proxy.example")
    refused = (
        "go: reading v1.24.1.info: 403 Forbidden\n\tserver response: This module version is not available."
    )
    reason = ferretdb.classify_go_failure(refused)
    assert "GOPROXY=https://proxy.example" in reason
    assert "403 Forbidden: This module version is not available." in reason
    sumdb = "verifying github.com/FerretDB/FerretDB@v1.24.1: Get https://sum.golang.org/lookup: timeout"
    assert "GOSUMDB=off" in ferretdb.classify_go_failure(sumdb)
    assert "GONOSUMDB=github.com/FerretDB" in ferretdb.classify_go_failure(sumdb)


def test_ferretdb_failure_marker_expires_after_a_day(tmp_path: Path) -> None:
    paths = InfraPaths(tmp_path)
    assert ferretdb.recent_failure(paths) is None
    ferretdb.record_failure(paths, "proxy says no")
    assert ferretdb.recent_failure(paths) == "proxy says no"
    assert ferretdb.recent_failure(paths, now=time.time() + 25 * 3600) is None


def test_ferretdb_and_nx_commands_listen_on_loopback(tmp_path: Path) -> None:
    paths = InfraPaths(tmp_path)
    assert ferretdb.command(paths, 29017)[1:3] == ["-listen", "127.0.0.1:29017"]
    nx = nx27017.command(paths, 29017)
    assert nx[nx.index("--host") + 1] == "127.0.0.1"
    assert nx[nx.index("-p") + 1] == "29017"
    assert nx[nx.index("--data-dir") + 1] == str(tmp_path / "mongo" / "data" / "nx-27017")


def test_nx_runs_its_threaded_server_through_the_serve_script(tmp_path: Path) -> None:
    """The managed nx-27017 is its venv's Python running the shipped serve script (threaded, warnings only); the
    command line names nx-27017, which is how a running one is recognised."""
    nx = nx27017.command(InfraPaths(tmp_path), 29017)
    assert nx[0] == str(tmp_path / "mongo" / "nx-venv" / "bin" / "python")
    script = Path(nx[1])
    assert script.name == nx27017.SERVE_SCRIPT and script.is_file()
    text = script.read_text()
    assert '"--threaded"' in text and "logging.WARNING" in text and "_lock_for" in text
    assert nx27017.MARKER in " ".join(nx)


@pytest.mark.parametrize(
    ("value", "choice"), [("auto", "auto"), ("nx-27017", "nx27017"), ("FerretDB", "ferretdb")]
)
def test_mongo_server_choice(monkeypatch: pytest.MonkeyPatch, value: str, choice: str) -> None:
    monkeypatch.setenv(mongo.SERVER_ENV, value)
    assert mongo.server_choice() == choice


def test_unknown_mongo_server_choice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(mongo.SERVER_ENV, "postgres")
    with pytest.raises(InfraError, match="JUNCTION_MONGO_SERVER"):
        mongo.server_choice()


def test_addresses_are_parsed_from_settings() -> None:
    assert split_host_port("[::1]:9", 1) == ("::1", 9)
    assert kafka_addresses("127.0.0.1:29092, localhost") == [("127.0.0.1", 29092), ("localhost", 9092)]
    assert mongo_addresses("mongodb://127.0.0.1:29017/?directConnection=true") == [("127.0.0.1", 29017)]
    assert mongo_addresses("mongodb://u:p@db1,db2:27018/x") == [("db1", 27017), ("db2", 27018)]
    assert mongo_addresses("mongodb+srv://cluster.example.com/") == []


def test_managed_servers_listen_on_one_loopback_address() -> None:
    assert managed_address([("localhost", 9092)], "kafka_bootstrap") == ("127.0.0.1", 9092)
    with pytest.raises(InfraError, match="JUNCTION_KAFKA_BOOTSTRAP"):
        managed_address([("10.0.0.5", 9092)], "kafka_bootstrap")


def test_only_the_environment_makes_a_server_external(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUNCTION_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.delenv("JUNCTION_INFRA_MANAGED", raising=False)
    settings = JunctionSettings(kafka_bootstrap="127.0.0.1:29092")
    assert not is_external(settings, "kafka_bootstrap")
    monkeypatch.setenv("JUNCTION_KAFKA_BOOTSTRAP", "broker:9092")
    assert is_external(settings, "kafka_bootstrap")
    monkeypatch.setenv("JUNCTION_INFRA_MANAGED", "1")
    assert not is_external(settings, "kafka_bootstrap")


def test_run_records_round_trip(tmp_path: Path) -> None:
    record = RunRecord(pid=123, address="127.0.0.1:9092", kind="kafka", version="4.1.1")
    save_record(tmp_path / "kafka.json", tmp_path / "kafka.pid", record)
    assert load_record(tmp_path / "kafka.json") == record
    assert (tmp_path / "kafka.pid").read_text().strip() == "123"
    assert json.loads((tmp_path / "kafka.json").read_text())["kind"] == "kafka"
    assert load_record(tmp_path / "missing.json") is None


def test_tail_keeps_the_last_non_empty_lines() -> None:
    assert tail("a\n\nb\nc\n", 2) == "    b\n    c"


def _silent_broker(monkeypatch: pytest.MonkeyPatch, paths: InfraPaths, grows_for: float) -> threading.Thread:
    """A broker process that never answers, whose log grows for `grows_for` seconds (from a thread)."""
    monkeypatch.setattr(kafka, "READY_TIMEOUT", 0.6)
    monkeypatch.setattr(kafka, "pid_alive", lambda pid: True)
    monkeypatch.setattr(kafka, "tcp_reachable", lambda host, port: False)
    paths.logs.mkdir(parents=True, exist_ok=True)
    paths.log("kafka").write_text("starting\n")

    def grow() -> None:
        started = time.monotonic()
        while time.monotonic() - started < grows_for:
            with open(paths.log("kafka"), "a") as fh:
                fh.write("loading partition\n")
            time.sleep(0.1)

    thread = threading.Thread(target=grow, daemon=True)
    thread.start()
    return thread


def test_kafka_wait_goes_on_while_the_broker_log_grows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = InfraPaths(tmp_path)
    _silent_broker(monkeypatch, paths, grows_for=1.5)
    started = time.monotonic()
    with pytest.raises(InfraError, match="not ready after"):
        kafka.wait_ready(paths, 29092, 1)
    # Still waiting READY_TIMEOUT after the last growth, not READY_TIMEOUT after the start.
    assert time.monotonic() - started >= 1.5


def test_kafka_wait_fails_when_the_log_stands_still(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = InfraPaths(tmp_path)
    _silent_broker(monkeypatch, paths, grows_for=0.0)
    started = time.monotonic()
    with pytest.raises(InfraError, match="not ready after"):
        kafka.wait_ready(paths, 29092, 1)
    assert time.monotonic() - started < 1.5

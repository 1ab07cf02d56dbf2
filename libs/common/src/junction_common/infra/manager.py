"""Bring Kafka and the MongoDB-protocol server up, down, or report on them, for one Junction home."""

from __future__ import annotations

import importlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from junction_common.infra import kafka, kafka_install, mongo
from junction_common.infra.paths import (
    InfraPaths,
    is_external,
    kafka_addresses,
    managed_address,
    mongo_addresses,
    paths_for,
)
from junction_common.infra.process import (
    InfraError,
    exclusive_lock,
    live_record,
    run_coroutine,
    say,
    tcp_reachable,
    wait_tcp,
)
from junction_common.settings import JunctionSettings

EXTERNAL_TIMEOUT = 60.0
TOPICS_MODULE = "junction_common.topics"


@dataclass(frozen=True)
class Endpoints:
    """Where Junction's processes reach the broker and the document store."""

    kafka_bootstrap: str
    mongodb_url: str


def ensure_up(settings: JunctionSettings) -> Endpoints:
    """Make Kafka and the MongoDB-protocol server reachable (installing/starting managed ones)."""
    paths = paths_for(settings)
    with exclusive_lock(paths.lock_file):
        _ensure_both(settings, paths)
        _declare_topics(settings)
    return Endpoints(kafka_bootstrap=settings.kafka_bootstrap, mongodb_url=settings.mongodb_url)


def down(settings: JunctionSettings) -> None:
    """Stop the managed servers of this home (external servers are never touched); data is kept."""
    paths = paths_for(settings)
    with exclusive_lock(paths.lock_file):
        mongo.stop(paths)
        kafka.stop(paths)


def status(settings: JunctionSettings) -> dict[str, Any]:
    """A JSON-able report: for kafka and mongo, managed/external, running, pid, address, version/kind."""
    paths = paths_for(settings)
    return {
        "home": str(paths.home),
        "kafka": _kafka_status(settings, paths),
        "mongo": _mongo_status(settings, paths),
    }


def _ensure_both(settings: JunctionSettings, paths: InfraPaths) -> None:
    """Bring both servers up concurrently; report every failure, not just the first."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="junction-infra") as pool:
        futures = [pool.submit(_ensure_kafka, settings, paths), pool.submit(_ensure_mongo, settings, paths)]
        failures = [exc for exc in (future.exception() for future in futures) if exc is not None]
    for exc in failures:
        if not isinstance(exc, InfraError):
            raise exc
    if failures:
        raise InfraError("\n".join(str(exc) for exc in failures))


def _ensure_kafka(settings: JunctionSettings, paths: InfraPaths) -> None:
    addresses = kafka_addresses(settings.kafka_bootstrap)
    if is_external(settings, "kafka_bootstrap"):
        say("using external Kafka at %s", settings.kafka_bootstrap)
        wait_tcp(addresses, EXTERNAL_TIMEOUT, "external Kafka")
        return
    _, port = managed_address(addresses, "kafka_bootstrap")
    kafka.ensure_running(paths, port)


def _ensure_mongo(settings: JunctionSettings, paths: InfraPaths) -> None:
    addresses = mongo_addresses(settings.mongodb_url)
    if is_external(settings, "mongodb_url"):
        say("using external MongoDB-protocol server at %s", _redacted(settings.mongodb_url))
        if addresses:
            wait_tcp(addresses, EXTERNAL_TIMEOUT, "external MongoDB-protocol server")
        else:
            mongo.wait_ready(settings.mongodb_url, None, None, EXTERNAL_TIMEOUT)
        return
    _, port = managed_address(addresses, "mongodb_url")
    mongo.ensure_running(paths, port, settings.mongodb_url)


def _declare_topics(settings: JunctionSettings) -> None:
    try:
        topics = importlib.import_module(TOPICS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != TOPICS_MODULE:
            raise
        return
    declare = getattr(topics, "ensure_declared_topics", None)
    if declare is not None:
        run_coroutine(lambda: declare(settings))


def _redacted(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    return f"{scheme}{sep}***@{host}" if at and credentials else url


def _kafka_status(settings: JunctionSettings, paths: InfraPaths) -> dict[str, Any]:
    addresses = kafka_addresses(settings.kafka_bootstrap)
    if is_external(settings, "kafka_bootstrap"):
        reachable = any(tcp_reachable(host, port) for host, port in addresses)
        return _external(settings.kafka_bootstrap, reachable)
    record = live_record(
        paths.state_file("kafka"), paths.pid_file("kafka"), kafka.MARKERS, forget_stale=False
    )
    address = record.address if record else settings.kafka_bootstrap
    return {
        "mode": "managed",
        "running": record is not None and _reachable(address),
        "pid": record.pid if record else None,
        "address": address,
        "kind": "kafka",
        "version": record.version if record else kafka_install.KAFKA_VERSION,
        "installed": kafka_install.jars_installed(paths),
        "log": str(paths.log("kafka")),
    }


def _mongo_status(settings: JunctionSettings, paths: InfraPaths) -> dict[str, Any]:
    addresses = mongo_addresses(settings.mongodb_url)
    if is_external(settings, "mongodb_url"):
        reachable = any(tcp_reachable(host, port) for host, port in addresses)
        entry = _external(_redacted(settings.mongodb_url), reachable)
        return {**entry, **mongo.identify(settings.mongodb_url)} if reachable else entry
    record = live_record(
        paths.state_file("mongo"), paths.pid_file("mongo"), mongo.MARKERS, forget_stale=False
    )
    kind = record.kind if record else mongo.last_kind(paths)
    default_address = ":".join(str(part) for part in addresses[0]) if addresses else settings.mongodb_url
    address = record.address if record else default_address
    return {
        "mode": "managed",
        "running": record is not None and _reachable(address),
        "pid": record.pid if record else None,
        "address": address,
        "kind": kind,
        "version": record.version if record else (mongo.VERSIONS.get(kind) if kind else None),
        "log": str(paths.log("mongo")),
    }


def _external(address: str, reachable: bool) -> dict[str, Any]:
    return {"mode": "external", "running": reachable, "pid": None, "address": address, "kind": "external"}


def _reachable(address: str) -> bool:
    host, _, port = address.rpartition(":")
    return tcp_reachable(host, int(port))

"""How the outage tracker tells Kafka or the database answers again, and the process's own tracker.

Kafka is asked for its API versions over a plain socket: a restarting broker accepts TCP connections while
it still recovers its logs, but answers requests only once it serves. The MongoDB-protocol server is up
when it accepts a connection. `create_broker` and `create_client` register where their server is.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

import structlog

from junction_common.infra.paths import kafka_addresses, mongo_addresses
from junction_common.infra.process import tcp_reachable
from junction_common.outages import KAFKA, MONGODB, OutageTracker, Probe

API_VERSIONS_KEY = 18
_PROBE_CLIENT_ID = b"junction-outage-probe"
_emitted_fields: dict[str, Any] = {}


def _emit(event: str, fields: dict[str, Any]) -> None:
    # The ticker thread has no contextvars, so the service name rides along explicitly.
    structlog.get_logger("junction.outages").warning(event, **{**_emitted_fields, **fields})


PROCESS_TRACKER = OutageTracker(_emit)


def configure_process_tracker(interval_s: float, service: str) -> OutageTracker:
    """Set the report interval and the service name of this process's tracker."""
    PROCESS_TRACKER.interval_s = interval_s
    _emitted_fields.clear()
    if service:
        _emitted_fields["service"] = service
    return PROCESS_TRACKER


def kafka_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when the broker at host:port answers an ApiVersions request (any answer means it serves)."""
    header = struct.pack(">hhih", API_VERSIONS_KEY, 0, 1, len(_PROBE_CLIENT_ID)) + _PROBE_CLIENT_ID
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(struct.pack(">i", len(header)) + header)
            answer = _read(sock, 8)
    except OSError:
        return False
    return answer is not None and struct.unpack(">ii", answer)[1] == 1


def kafka_probe(bootstrap: str) -> Probe:
    addresses = kafka_addresses(bootstrap)
    return lambda: any(kafka_answers(host, port) for host, port in addresses)


def mongodb_probe(url: str) -> Probe | None:
    addresses = mongo_addresses(url)  # an SRV URL has none: no probe, recovery shows as quiet instead
    if not addresses:
        return None
    return lambda: any(tcp_reachable(host, port, 1.0) for host, port in addresses)


def watch_kafka(bootstrap: str) -> None:
    PROCESS_TRACKER.set_probe(KAFKA, kafka_probe(bootstrap))


def watch_mongodb(url: str) -> None:
    probe = mongodb_probe(url)
    if probe is not None:
        PROCESS_TRACKER.set_probe(MONGODB, probe)


def _read(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data

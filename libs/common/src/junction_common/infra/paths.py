"""Where the self-installed servers live under the Junction home, and which addresses they serve."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from pymongo import uri_parser
from pymongo.errors import PyMongoError

from junction_common.infra.process import InfraError
from junction_common.settings import JunctionSettings

MANAGED_ENV = "JUNCTION_INFRA_MANAGED"
_ENV_NAMES = {"kafka_bootstrap": "JUNCTION_KAFKA_BOOTSTRAP", "mongodb_url": "JUNCTION_MONGODB_URL"}
_LOOPBACK = {"127.0.0.1", "localhost"}
_PLACEHOLDER = re.compile(r"@[A-Z_]+@")


@dataclass(frozen=True)
class InfraPaths:
    """Every file and directory the infrastructure manager owns, relative to the Junction home."""

    home: Path

    @property
    def kafka_dir(self) -> Path:
        return self.home / "kafka"

    @property
    def kafka_lib(self) -> Path:
        return self.kafka_dir / "lib"

    @property
    def kafka_data(self) -> Path:
        return self.kafka_dir / "data"

    @property
    def kafka_props(self) -> Path:
        return self.kafka_dir / "server.properties"

    @property
    def kafka_log4j(self) -> Path:
        return self.kafka_dir / "log4j2.properties"

    @property
    def kafka_pom(self) -> Path:
        return self.kafka_dir / "pom.xml"

    @property
    def kafka_cluster_id(self) -> Path:
        return self.kafka_dir / "cluster-id"

    @property
    def mongo_dir(self) -> Path:
        return self.home / "mongo"

    @property
    def mongo_data(self) -> Path:
        return self.mongo_dir / "data"

    @property
    def nx_venv(self) -> Path:
        return self.mongo_dir / "nx-venv"

    @property
    def ferretdb_src(self) -> Path:
        return self.mongo_dir / "ferretdb-src"

    @property
    def ferretdb_bin(self) -> Path:
        return self.mongo_dir / "bin" / "junction-ferretdb"

    @property
    def ferretdb_marker(self) -> Path:
        return self.mongo_dir / "ferretdb-unavailable.json"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def run(self) -> Path:
        return self.home / "run"

    @property
    def lock_file(self) -> Path:
        return self.run / "infra.lock"

    def log(self, name: str) -> Path:
        """The log file of one managed server (kafka, mongo)."""
        return self.logs / f"{name}.log"

    def pid_file(self, name: str) -> Path:
        """The pid file of one managed server (kafka, mongo)."""
        return self.run / f"{name}.pid"

    def state_file(self, name: str) -> Path:
        """The JSON record (pid, address, kind, version) of one managed server."""
        return self.run / f"{name}.json"


def paths_for(settings: JunctionSettings) -> InfraPaths:
    """The infrastructure layout under `settings.home`."""
    return InfraPaths(Path(settings.home).expanduser().resolve())


def is_external(settings: JunctionSettings, field: str) -> bool:
    """True when the server behind `field` was chosen explicitly through the environment."""
    if os.environ.get(MANAGED_ENV, "").strip().lower() in {"1", "true", "yes"}:
        return False
    wanted = _ENV_NAMES[field]
    return any(key.upper() == wanted and value.strip() for key, value in os.environ.items())


def split_host_port(address: str, default_port: int) -> tuple[str, int]:
    """Split `host:port` (brackets allowed around IPv6 hosts) into its parts."""
    address = address.strip()
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        port = rest.removeprefix(":")
    else:
        host, sep, port = address.rpartition(":")
        if not sep:
            host, port = address, ""
    if not host or not (port.isdigit() or not port):
        raise InfraError(f"{address!r} is not a host:port address")
    return host, int(port) if port else default_port


def kafka_addresses(bootstrap: str) -> list[tuple[str, int]]:
    """Every `host:port` in a comma-separated Kafka bootstrap list."""
    return [split_host_port(item, 9092) for item in bootstrap.split(",") if item.strip()]


def mongo_addresses(url: str) -> list[tuple[str, int]]:
    """Every host of a `mongodb://` URL (an SRV URL has none until resolved, so none here)."""
    if url.startswith("mongodb+srv://"):
        return []
    try:
        parsed = uri_parser.parse_uri(url, validate=False)
    except (PyMongoError, ValueError) as exc:
        raise InfraError(f"the MongoDB URL is not valid: {exc}") from None
    return [(str(host), int(port)) for host, port in parsed["nodelist"]]


def managed_address(addresses: list[tuple[str, int]], field: str) -> tuple[str, int]:
    """The single loopback address a managed server listens on; refuses anything else."""
    if len(addresses) != 1 or addresses[0][0] not in _LOOPBACK:
        shown = ",".join(f"{host}:{port}" for host, port in addresses) or "(none)"
        raise InfraError(
            f"a self-managed server listens on one 127.0.0.1 address, not {shown}; "
            f"to use an external server, set {_ENV_NAMES[field]} in the environment"
        )
    return "127.0.0.1", addresses[0][1]


def _resource(name: str) -> Traversable:
    return resources.files("junction_common.infra").joinpath("resources", name)


def resource_path(name: str) -> Path:
    """Where a file shipped in `junction_common/infra/resources` is on disk (a script run by another Python)."""
    return Path(str(_resource(name)))


def resource_text(name: str) -> str:
    """The text of a file shipped in `junction_common/infra/resources`."""
    return _resource(name).read_text(encoding="utf-8")


def render(template: str, values: Mapping[str, object]) -> str:
    """Fill the `@NAME@` placeholders of a resource template; every placeholder must get a value."""
    for key, value in values.items():
        template = template.replace(f"@{key}@", str(value))
    missing = _PLACEHOLDER.findall(template)
    if missing:
        raise ValueError(f"template placeholders without a value: {sorted(set(missing))}")
    return template

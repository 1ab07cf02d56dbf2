"""Self-installing infrastructure: Kafka and a MongoDB-protocol server, cached under the Junction home."""

from __future__ import annotations

from junction_common.infra.manager import Endpoints, down, ensure_up, status
from junction_common.infra.process import InfraError

__all__ = ["Endpoints", "InfraError", "down", "ensure_up", "status"]

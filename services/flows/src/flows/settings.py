"""Settings of the flows service (env prefix JUNCTION_)."""

from __future__ import annotations

from junction_common.settings import JunctionSettings


class FlowsSettings(JunctionSettings):
    # Its internal API (the gateway's only way to its reads and synchronous operations).
    internal_port: int = 8105

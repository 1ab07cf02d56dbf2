"""Settings of the sync service (env prefix JUNCTION_)."""

from __future__ import annotations

from junction_common.settings import JunctionSettings


class SyncSettings(JunctionSettings):
    # Its internal API (the gateway's only way to its reads and synchronous operations).
    internal_port: int = 8104

"""Settings of the flows service (env prefix JUNCTION_)."""

from __future__ import annotations

from junction_common.settings import JunctionSettings


class FlowsSettings(JunctionSettings):
    # Its internal API (the gateway's only way to its reads and synchronous operations).
    internal_port: int = 8105
    # Triggers (FL-EDGE): the public address webhook trigger URLs are given under, how often cron and poll
    # subscriptions are looked at.
    public_base_url: str = "http://127.0.0.1:8000"
    trigger_tick_s: float = 1.0

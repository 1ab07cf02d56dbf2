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
    # How long a webhook call waits for its flow's respond-to-webhook answer before answering 202.
    webhook_response_wait_s: float = 10.0
    # The execution engine (FL-CORE): how long an engine's hold on an execution lasts without renewal (a crashed
    # engine's executions are taken over after it), how often due executions are looked for, how many run at once.
    execution_lease_s: float = 15.0
    execution_sweep_s: float = 0.25
    execution_concurrency: int = 2000
    # How many outside steps of one execution's parallel branches run at once (a round; the rest in the next).
    execution_parallel_steps: int = 8
    # Where HTTP request steps may go (as the webhooks service's policy): private networks admitted, https only.
    flows_allow_networks: str | None = None
    flows_require_https: bool | None = None

    def http_policy(self) -> tuple[str, bool]:
        """Loopback is admitted and http allowed in development and tests only."""
        local = self.env in ("development", "test")
        allow = self.flows_allow_networks if self.flows_allow_networks is not None else \
            ("127.0.0.0/8,::1/128" if local else "")
        return allow, self.flows_require_https if self.flows_require_https is not None else not local

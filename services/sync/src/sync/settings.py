"""Settings of the sync service (env prefix JUNCTION_)."""

from __future__ import annotations

from junction_common.settings import JunctionSettings


class SyncSettings(JunctionSettings):
    # Its internal API (the gateway's only way to its reads and synchronous operations).
    internal_port: int = 8104
    # The connector runtime (sync.runtime): source programs are installed on first use under
    # <home>/connectors. airbyte-cdk runs declarative manifests; its default is the measured pin in
    # sync.runtime.environments (CDK_VERSION); set this to run another.
    connector_cdk_version: str | None = None
    connector_uv: str | None = None  # uv to install with; None: PATH, then the project's .tools/bin/uv, else pip;
    # "pip": venv + pip always
    connector_install_timeout_s: float = 900.0
    connector_stop_grace_s: float = 0.5  # SIGTERM to SIGKILL when a read is closed early
    # Runs (sync.app.runs*): runs at once per process (across connections; one connection never runs twice at
    # once), a worker's lease on a run (renewed while it runs; a crashed worker's run is resumed by another once it
    # lapses), how often idle workers look for requested runs, and records written per table batch.
    max_concurrent_runs: int = 4
    run_lease_s: float = 30.0
    run_poll_s: float = 0.5
    run_batch_rows: int = 2000
    # The built-in scheduler (sync.app.scheduler): due schedules are looked for every `schedule_tick_s`.
    scheduler_enabled: bool = True
    schedule_tick_s: float = 30.0
    # Tests only (sync.tables.crash): the line this process kills itself at with SIGKILL (None: never).
    crash_point: str | None = None

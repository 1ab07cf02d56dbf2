"""The sync service's internal API: each public operation it serves, at its public path under `/internal` (the
gateway forwards `GET /connect/v1/tables` here as `GET /internal/connect/v1/tables`, signed for its caller).
Answers are already in each reference's documented shape.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from junction_common.service import ServiceRuntime
from sync.api import pipelines_runs, records, runs_integrations, runs_own, tables, tables_rows

# Each feature's router factory, given the running service; a feature adds its own line.
ROUTERS: list[Callable[[ServiceRuntime], APIRouter]] = []
ROUTERS += [pipelines_runs.router, runs_own.router, runs_integrations.router]
ROUTERS += [tables.router, tables_rows.router, records.router]


def internal_routers(runtime: ServiceRuntime) -> list[APIRouter]:
    return [make(runtime) for make in ROUTERS]

"""The crm service's internal API: every public read of the crm's data and its synchronous operations.

The gateway forwards a public call `GET /v1/...` here as `GET /internal/v1/...`, signed for its caller; the
answer is already in the public envelope. Only this service reads the crm database.
"""

from __future__ import annotations

from fastapi import APIRouter

from crm.api import records
from junction_common.service import ServiceRuntime


def internal_routers(runtime: ServiceRuntime) -> list[APIRouter]:
    return [records.router(runtime)]

"""The crm service's internal API: every public read of the crm's data and its synchronous operations.

The gateway forwards a public call `GET /v1/...` here as `GET /internal/v1/...`, signed for its caller; the
answer is already in the public envelope. Only this service reads the crm database.
"""

from __future__ import annotations

from fastapi import APIRouter

from crm.api import analytics, bi, bi_exports, records
from junction_common.service import ServiceRuntime


def internal_routers(runtime: ServiceRuntime) -> list[APIRouter]:
    # Before records: it serves `GET /internal/<path>/{resource_id}` for every declared resource, which would
    # take `/internal/v1/bi/exports/{id}` (an export with its signed URL) and the like.
    return [bi.router(runtime), bi_exports.router(runtime), analytics.router(runtime), records.router(runtime)]

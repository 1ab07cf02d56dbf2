"""searchCmsEntries: full-text search over entry titles and field values."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from gateway.auth import require_scope
from gateway.deps import ResourcesDep
from gateway.error_docs import ERROR_RESPONSES
from gateway.forwarding import forward
from junction_common.identity import Principal

router = APIRouter(prefix="/v1", tags=["CMS"], responses=ERROR_RESPONSES)


@router.get("/cms/entries/search", operation_id="searchCmsEntries")
async def search_entries(
    request: Request, res: ResourcesDep, principal: Annotated[Principal, Depends(require_scope("cms:read"))],
    query: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """Entries whose title or field values contain every term (case-insensitive word prefix), newest first."""
    return await forward(request, res, principal, "crm")

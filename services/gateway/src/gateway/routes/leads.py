"""convertLead (workspace-api.txt): the one lead operation beyond the declared list/create."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth import require_scope
from gateway.deps import ResourcesDep
from gateway.error_docs import ERROR_RESPONSES
from gateway.parents import parent_in_workspace, readable_at
from gateway.writes import WriteSpec, execute_write
from junction_common.identity import Principal
from junction_common.web.listing import present

router = APIRouter(prefix="/v1", tags=["Deals"], responses=ERROR_RESPONSES)
CONVERT = WriteSpec("crm", "crm.commands", "lead.convert", "leads", "lead", present, 200)
ACCEPTED: dict[int | str, dict[str, Any]] = {202: {"description": "Accepted; poll GET /v1/operations/{id}."}}
WRITER = require_scope("crm:write")


class LeadConvert(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"create_deal": True, "deal_name": "Website redesign"}]})

    create_deal: bool = False
    deal_name: str | None = Field(default=None, min_length=1, max_length=200)
    deal_stage: str | None = Field(default=None, min_length=1, max_length=64)


@router.post("/leads/{lead_id}/convert", operation_id="convertLead", responses=ACCEPTED,
             dependencies=[parent_in_workspace("lead_id", "lead", WRITER, readable_at("crm", "/v1/leads/{id}"))])
async def convert_lead(
    lead_id: Annotated[str, Path(max_length=64, pattern=r"^lead_[A-Za-z0-9]+$")], body: LeadConvert,
    request: Request, res: ResourcesDep, principal: Annotated[Principal, Depends(WRITER)],
) -> Response:
    """Link or create the lead's contact and company (and a deal on request), then mark it converted."""
    return await execute_write(request, res, principal, CONVERT, lead_id, body.model_dump(exclude_none=True),
                               new_resource=False)

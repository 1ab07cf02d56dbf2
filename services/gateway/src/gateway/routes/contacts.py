"""createContact (workspace-api.txt); listContacts is forwarded from its declaration (crm_contracts.routes)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from crm_contracts.crm import ContactCreate
from gateway.auth import require_scope
from gateway.deps import ResourcesDep
from gateway.error_docs import ERROR_RESPONSES
from gateway.writes import WriteSpec, execute_write
from junction_common.identity import Principal
from junction_common.ids import new_id
from junction_common.web.listing import present

router = APIRouter(prefix="/v1", tags=["Contacts"], responses=ERROR_RESPONSES)

CREATE = WriteSpec("crm", "crm.commands", "CreateContact", "contacts", "contact", present)


ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"description": "Accepted: the CRM is slow or down; poll GET /v1/operations/{operation_id}."}}


@router.post("/contacts", operation_id="createContact", status_code=201, responses=ACCEPTED)
async def create_contact(
    body: ContactCreate, request: Request, res: ResourcesDep,
    principal: Annotated[Principal, Depends(require_scope("crm:write"))],
) -> Response:
    """Create a contact; answers 201 once it is readable (202 with an operation id if the CRM is slow)."""
    return await execute_write(request, res, principal, CREATE, new_id("con"), body.model_dump(exclude_none=True))

"""getWorkspace (workspace-api.txt): the caller's workspace and its enabled modules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from gateway.auth import authenticate
from gateway.context import request_id_of
from gateway.deps import ResourcesDep
from gateway.error_docs import ERROR_RESPONSES
from junction_common.identity import Principal
from junction_common.web.envelope import ApiError, json_response, ok_body

router = APIRouter(prefix="/v1", tags=["Workspace"], responses=ERROR_RESPONSES)

MODULES = ("activity_log", "tasks", "crm", "support", "cms", "assets", "integrations", "analytics_governance")
READ_SCOPES = ("crm:read", "support:read", "tasks:read", "activity:read", "cms:read", "assets:read",
               "integrations:read", "analytics:read", "bi:read")


@router.get("/workspace", operation_id="getWorkspace")
async def get_workspace(request: Request, res: ResourcesDep,
                        principal: Annotated[Principal, Depends(authenticate)]) -> Response:
    """The workspace of the caller's credential; any one module's read scope suffices."""
    if not any(principal.has_scope(s) for s in READ_SCOPES):
        raise ApiError("FORBIDDEN", "The token does not include the scope required for this operation.",
                       {"required_any": list(READ_SCOPES)})
    workspace = await res.identity.get_workspace(principal.workspace_id)
    if workspace is None:
        raise ApiError("NOT_FOUND", "The workspace could not be found for this token.")
    data = {"id": workspace["_id"], "name": workspace["name"], "plan": workspace.get("plan", "free"),
            "enabled_modules": list(workspace.get("enabled_modules", MODULES))}
    return json_response(ok_body(data, request_id_of(request)))

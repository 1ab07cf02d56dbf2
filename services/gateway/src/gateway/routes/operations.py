"""Operations: the fate of a write that was answered 202."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from gateway.auth import authenticate
from gateway.context import request_id_of
from gateway.deps import ResourcesDep
from gateway.error_docs import ERROR_RESPONSES
from junction_common.identity import Principal
from junction_common.web.envelope import ApiError, json_response, ok_body

router = APIRouter(prefix="/v1", tags=["Operations"], responses=ERROR_RESPONSES)


@router.get("/operations/{operation_id}", operation_id="getOperation")
async def get_operation(
    operation_id: Annotated[str, Path(max_length=64, pattern=r"^cmd_[A-Za-z0-9]+$")],
    request: Request, res: ResourcesDep, principal: Annotated[Principal, Depends(authenticate)],
) -> Response:
    """An operation of the caller's workspace: pending, succeeded (with its resource id) or rejected."""
    op = await res.gateway_db["operations"].find_one({"_id": operation_id, "workspace_id": principal.workspace_id})
    if op is None:
        raise ApiError("NOT_FOUND", "The operation could not be found.")
    outcome = await res.services().command_outcome(op["service"], operation_id, None, 0.0, request_id_of(request))
    data = {
        "operation_id": operation_id,
        "status": outcome["status"] if outcome else "pending",
        "resource_type": op.get("resource_type"),
        "resource_id": op.get("resource_id"),
        "error": outcome.get("error") if outcome else None,
    }
    return json_response(ok_body(data, request_id_of(request)))

"""Workspace members and the workspace's plan."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from gateway import audit
from gateway.auth import authenticate, require_scope
from gateway.context import request_id_of
from gateway.deps import ResourcesDep
from gateway.error_docs import ERROR_RESPONSES
from gateway.members import MemberStore, check_can_grant, present_member
from gateway.ratelimit import PLAN_LIMITS
from junction_common.identity import Principal
from junction_common.web.envelope import json_response, ok_body

router = APIRouter(prefix="/v1", tags=["Members"], responses=ERROR_RESPONSES)
Role = Literal["OWNER", "ADMIN", "MEMBER", "VIEWER"]
MemberId = Annotated[str, Path(max_length=64, pattern=r"^mem_[a-z0-9]+$")]
Caller = Annotated[Principal, Depends(authenticate)]
Reader = Annotated[Principal, Depends(require_scope("members:read"))]
Writer = Annotated[Principal, Depends(require_scope("members:write"))]


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"email": "ana@acme.com",
                                                                               "role": "MEMBER"}]})

    email: str = Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    name: str | None = Field(default=None, max_length=200)
    role: Role = "MEMBER"


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


@router.get("/members", operation_id="listMembers")
async def list_members(request: Request, res: ResourcesDep, principal: Reader) -> Response:
    """Members of the caller's workspace."""
    docs = await MemberStore(res.identity_db).list(principal.workspace_id)
    return json_response(ok_body([present_member(d) for d in docs], request_id_of(request)))


@router.post("/members", operation_id="addMember", status_code=201)
async def add_member(body: MemberCreate, request: Request, res: ResourcesDep, principal: Writer) -> Response:
    """Add a member; OWNER/ADMIN only, never with a role above the caller's."""
    check_can_grant(principal.role, body.role)
    doc = await MemberStore(res.identity_db).add(principal.workspace_id, body.email, body.name, body.role)
    await audit.record(res, principal, "member.added", doc["_id"], request_id_of(request), {"role": body.role})
    return json_response(ok_body(present_member(doc), request_id_of(request)), 201)


@router.patch("/members/{member_id}", operation_id="updateMember")
async def update_member(member_id: MemberId, body: MemberUpdate, request: Request, res: ResourcesDep,
                        principal: Writer) -> Response:
    """Change a member's role; the last OWNER cannot be demoted."""
    store = MemberStore(res.identity_db)
    current = await store.get(principal.workspace_id, member_id)
    check_can_grant(principal.role, max(body.role, current["role"], key=["VIEWER", "MEMBER", "ADMIN", "OWNER"].index))
    doc = await store.change_role(principal.workspace_id, member_id, body.role)
    await audit.record(res, principal, "member.role_changed", member_id, request_id_of(request), {"role": body.role})
    return json_response(ok_body(present_member(doc), request_id_of(request)))


@router.delete("/members/{member_id}", operation_id="removeMember")
async def remove_member(member_id: MemberId, request: Request, res: ResourcesDep, principal: Writer) -> Response:
    """Remove a member; the last OWNER cannot be removed."""
    store = MemberStore(res.identity_db)
    current = await store.get(principal.workspace_id, member_id)
    check_can_grant(principal.role, current["role"])
    doc = await store.remove(principal.workspace_id, member_id)
    await audit.record(res, principal, "member.removed", member_id, request_id_of(request))
    return json_response(ok_body(present_member(doc), request_id_of(request)))


@router.get("/plan", operation_id="getPlan")
async def get_plan(request: Request, res: ResourcesDep, principal: Caller) -> Response:
    """The workspace's plan, its limits and its current usage."""
    per_minute, per_day = PLAN_LIMITS.get(principal.plan, PLAN_LIMITS["free"])
    usage = await res.limiter.usage(principal.workspace_id)
    data = {"plan": principal.plan, "limits": {"requests_per_minute": per_minute, "requests_per_day": per_day},
            "usage": usage}
    return json_response(ok_body(data, request_id_of(request)))

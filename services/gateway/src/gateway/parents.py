"""Nested routes (`/v1/support/tickets/{ticket_id}/messages`, `/v1/leads/{lead_id}/convert`, ...): a parent that is
not in the caller's workspace is NOT_FOUND on every method, before anything else about the request is checked.

The check is a route dependency: FastAPI solves a route's dependencies before it validates the path, query and
body, and the parent's id is read from the raw path, so a malformed id is one more id that is not found. It runs
after authentication and the scope check (its principal dependency is the route's own, solved once).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, Request

from gateway.deps import Resources, ResourcesDep
from junction_common.identity import Principal
from junction_common.web.envelope import ApiError

# (resources, workspace id, parent id) -> whether the parent is the workspace's
Lookup = Callable[[Resources, str, str], Awaitable[bool]]


def in_read_model(service: str, collection: str, **only: Any) -> Lookup:
    """The parent is a document of the owning service's read model (the one the parent's own routes read)."""

    async def found(res: Resources, workspace_id: str, parent_id: str) -> bool:
        query = {"_id": parent_id, "workspace_id": workspace_id, **only}
        return await res.service_db(service)[collection].find_one(query, {"_id": 1}) is not None

    return found


def parent_in_workspace(param: str, label: str, principal: Callable[..., Awaitable[Principal]],
                        lookup: Lookup) -> Any:
    """A dependency: the path parameter `param` names a `label` of the caller's workspace, else NOT_FOUND."""

    # The default-value form: an annotation naming the local `principal` could not be resolved later.
    async def check(request: Request, res: ResourcesDep, caller: Principal = Depends(principal)) -> str:
        parent_id = str(request.path_params.get(param, ""))
        if not await lookup(res, caller.workspace_id, parent_id):
            raise ApiError("NOT_FOUND", f"The {label} could not be found.")
        return parent_id

    check.__name__ = f"{label.replace(' ', '_')}_in_workspace"
    return Depends(check)

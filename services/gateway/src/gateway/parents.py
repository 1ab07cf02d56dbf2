"""Nested routes (`/v1/support/tickets/{ticket_id}/messages`, `/v1/leads/{lead_id}/convert`, ...): a parent that is
not in the caller's workspace is NOT_FOUND on every method, before anything else about the request is checked.

The check is a route dependency: FastAPI solves a route's dependencies before it validates the path, query and
body, and the parent's id is read from the raw path, so a malformed id is one more id that is not found. It runs
after authentication and the scope check (its principal dependency is the route's own, solved once).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request

from gateway.availability import unavailable
from gateway.deps import Resources, ResourcesDep
from gateway.forwarding import INTERNAL_PREFIX
from junction_common.identity import Principal
from junction_common.web.envelope import ApiError, request_id_of

# (resources, caller, request id, parent id) -> whether the parent is the caller's workspace's
Lookup = Callable[[Resources, Principal, str, str], Awaitable[bool]]


def readable_at(service: str, path: str) -> Lookup:
    """The parent is what the owning service answers (200) at `path` (`/v1/leads/{id}`) for the caller."""

    async def found(res: Resources, principal: Principal, request_id: str, parent_id: str) -> bool:
        target = INTERNAL_PREFIX + path.replace("{id}", quote(parent_id, safe=""))
        answer = await res.services().get(service, target, request_id, principal)
        if answer is None:
            raise unavailable(f"The {service} service", res.settings.unavailable_retry_after_s)
        return answer[0] == 200

    return found


def parent_in_workspace(param: str, label: str, principal: Callable[..., Awaitable[Principal]],
                        lookup: Lookup) -> Any:
    """A dependency: the path parameter `param` names a `label` of the caller's workspace, else NOT_FOUND."""

    # The default-value form: an annotation naming the local `principal` could not be resolved later.
    async def check(request: Request, res: ResourcesDep, caller: Principal = Depends(principal)) -> str:
        parent_id = str(request.path_params.get(param, ""))
        if not await lookup(res, caller, request_id_of(request), parent_id):
            raise ApiError("NOT_FOUND", f"The {label} could not be found.")
        return parent_id

    check.__name__ = f"{label.replace(' ', '_')}_in_workspace"
    return Depends(check)

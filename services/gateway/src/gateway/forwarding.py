"""Reads and synchronous operations: the gateway checks who is calling, then the owning service answers.

A public call `GET /v1/contacts?limit=5` goes on, signed for its caller (see internal_auth), to the owning
service's internal API at `/internal/v1/contacts?limit=5`, with its body; the service's answer (already in
the public envelope or error shape) is the gateway's answer. The gateway adds only its edge headers.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from gateway.availability import unavailable
from gateway.deps import Resources
from junction_common.identity import Principal
from junction_common.web.envelope import request_id_of

INTERNAL_PREFIX = "/internal"


async def forward(request: Request, res: Resources, principal: Principal | None, service: str,
                  path: str | None = None, body: bytes | None = None) -> Response:
    """The owning service's answer to this request (503 SERVICE_UNAVAILABLE when it cannot be reached).

    `principal` is None for the operations whose credential is in the request itself (a webhook token in
    the path, a signed OAuth state): the service checks that credential."""
    target = INTERNAL_PREFIX + (path if path is not None else request.url.path)
    payload = await request.body() if body is None else body
    relayed = await res.services().relay(request.method, service, target, request_id_of(request), principal,
                                         request.url.query, payload, request.headers.get("content-type"),
                                         res.settings.forward_timeout_s)
    if relayed is None:
        raise unavailable(f"The {service} service", res.settings.unavailable_retry_after_s)
    return Response(relayed.body, status_code=relayed.status, headers=relayed.headers)

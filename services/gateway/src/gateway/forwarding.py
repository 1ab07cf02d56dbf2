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
from junction_common.internal_auth import HEADER
from junction_common.web.envelope import request_id_of

INTERNAL_PREFIX = "/internal"
# A call without a principal (a provider's webhook delivery, an OAuth redirect) brings its own request headers to
# the service, which verifies them (a provider's signature, delivery id and timestamp headers); never hop-by-hop
# ones, a cookie, the request id or the internal signature.
_NOT_PASSED = frozenset({"host", "content-length", "content-type", "content-encoding", "transfer-encoding",
                         "connection", "keep-alive", "te", "trailer", "upgrade", "expect", "cookie", "accept-encoding",
                         "proxy-authorization", "x-request-id", HEADER.lower()})


def caller_headers(request: Request) -> dict[str, str]:
    """The request's own headers a principal-less call passes on to the service."""
    return {name: value for name, value in request.headers.items() if name.lower() not in _NOT_PASSED}


async def forward(request: Request, res: Resources, principal: Principal | None, service: str,
                  path: str | None = None, body: bytes | None = None) -> Response:
    """The owning service's answer to this request (503 SERVICE_UNAVAILABLE when it cannot be reached).

    `principal` is None for the operations whose credential is in the request itself (a webhook token in
    the path, a signed OAuth state): the service checks that credential."""
    target = INTERNAL_PREFIX + (path if path is not None else request.url.path)
    payload = await request.body() if body is None else body
    relayed = await res.services().relay(request.method, service, target, request_id_of(request), principal,
                                         request.url.query, payload, request.headers.get("content-type"),
                                         res.settings.forward_timeout_s,
                                         caller_headers(request) if principal is None else None)
    if relayed is None:
        raise unavailable(f"The {service} service", res.settings.unavailable_retry_after_s)
    return Response(relayed.body, status_code=relayed.status, headers=relayed.headers)

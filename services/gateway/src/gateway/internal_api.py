"""The gateway's own internal API: what it owns (the workspaces' identity) as Junction's services ask for it.

It is served on a port of its own (`gateway_internal_port`), never on the public one, and takes only calls a
service signed with the internal secret for a SERVICE principal (`junction_common.web.peers.PeerClient`): a
user's key, or a signature made for anyone but a service, is refused. A call sees the one workspace its
signature names: no route takes a workspace id of its own.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from pymongo.asynchronous.database import AsyncDatabase

from gateway.members import MemberStore
from gateway.settings import GatewaySettings
from junction_common.identity import Principal
from junction_common.internal_auth import HEADER, InternalAuthError, verify
from junction_common.logconfig import get_logger
from junction_common.web import errors
from junction_common.web.envelope import ApiError, json_response
from junction_common.web.inloop_server import InternalServer
from junction_common.web.peers import SERVICE_ROLE

Doc = dict[str, Any]
log = get_logger("gateway.internal_api")
MEMBERS_PATH = "/internal/identity/members"


def service_caller(request: Request) -> Principal:
    """The calling service's principal; 401 without a valid signature for this very request, 403 when the
    signature names anyone but a service."""
    try:
        call = verify(request.app.state.internal_secret, request.headers.get(HEADER), request.method,
                      request.url.path)
    except InternalAuthError as exc:
        log.warning("internal_call_refused", path=request.url.path, reason=str(exc))
        raise ApiError("UNAUTHORIZED", "This route takes only signed calls of Junction's services.") from None
    request.state.request_id = call.request_id
    if call.principal is None or call.principal.role != SERVICE_ROLE:
        log.warning("internal_call_refused", path=request.url.path, reason="not a service",
                    key_id=call.principal.key_id if call.principal else None)
        raise ApiError("FORBIDDEN", "Only Junction's services may call this route.")
    return call.principal


Service = Annotated[Principal, Depends(service_caller)]
router = APIRouter()


@router.get(MEMBERS_PATH)
async def member_ids(request: Request, service: Service) -> Response:
    """The ids of the calling workspace's members, in id order (every member: a workspace has few)."""
    ids = await MemberStore(request.app.state.identity_db).ids(service.workspace_id)
    log.info("members_listed", workspace_id=service.workspace_id, caller=service.key_id, members=len(ids))
    return json_response({"member_ids": ids})


def create_internal_app(identity_db: AsyncDatabase[Doc], secret: str) -> FastAPI:
    """The gateway's internal app: its identity routes and an open liveness probe."""
    app = FastAPI(title="Junction gateway (internal)", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.identity_db, app.state.internal_secret = identity_db, secret
    errors.install(app)
    app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        return json_response({"status": "ok"})

    return app


async def serve_internal(settings: GatewaySettings, identity_db: AsyncDatabase[Doc]) -> InternalServer | None:
    """The gateway's internal API on its own port (`gateway_internal_port`), when one is set."""
    if settings.gateway_internal_port < 0:
        return None
    server = InternalServer(create_internal_app(identity_db, settings.internal_secret), settings.internal_host,
                            settings.gateway_internal_port, lifespan="off")
    await server.start()
    log.info("gateway_internal_api_started", url=server.url)
    return server

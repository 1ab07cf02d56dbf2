"""A service's internal HTTP API: only calls signed by the gateway are served (see internal_auth).

Every service gets, for free, `GET /internal/commands/{command_id}`: the long poll a write's answer
waits on (its outcome, and the resource once readable at the committed version), answered from the
service's own batches by one shared poller; and `POST /internal/commands`, the same for many writes in one
call, each answer streamed as it lands (the gateway's way: see junction_common.outcome_answers).
Services add their own reads and synchronous operations as routers. `/healthz` is open (liveness probes
carry no signature).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import Response, StreamingResponse
from pymongo.asynchronous.database import AsyncDatabase

from junction_common.identity import Principal
from junction_common.internal_auth import HEADER, InternalAuthError, InternalCall, verify
from junction_common.logconfig import get_logger
from junction_common.mongo import Doc
from junction_common.outcome_answers import (
    MAX_WAIT_S,
    OutcomeWait,
    OutcomeWaits,
    Presenter,
    settled,
    shown,
    stream_answers,
)
from junction_common.store.outcome_waits import OutcomePoller
from junction_common.store.outcomes import SUCCEEDED
from junction_common.web import errors
from junction_common.web.route_index import install_route_index

log = get_logger("junction.internal_api")

def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, separators=(",", ":"), default=str), status_code=status,
                    media_type="application/json")


def internal_call(secret: str) -> Callable[[Request], Awaitable[InternalCall]]:
    """A dependency that refuses (401) any call without the gateway's valid signature for this request."""

    async def check(request: Request) -> InternalCall:  # async: no thread-pool hop per call
        try:
            call = verify(secret, request.headers.get(HEADER), request.method, request.url.path)
        except InternalAuthError as exc:
            log.warning("internal_call_refused", path=request.url.path, reason=str(exc))
            raise _Refused(str(exc)) from None
        request.state.internal_call = call
        request.state.request_id = call.request_id  # answers and errors carry the gateway's request id
        return call

    return check


async def caller(request: Request) -> Principal:  # async: no thread-pool hop per call
    """The identity the gateway called for (routes that act for a workspace depend on it)."""
    call: InternalCall | None = getattr(request.state, "internal_call", None)
    if call is None or call.principal is None:
        raise _Refused("this call needs the caller's identity")
    return call.principal


class _Refused(Exception):
    pass


def commands_router(db: AsyncDatabase[Doc], waits: OutcomePoller, presenters: dict[str, Presenter]) -> APIRouter:
    """`GET /internal/commands/{command_id}`: the outcome long poll of one write; `POST /internal/commands`: the
    same for many writes at once, each answer streamed as it lands (see `stream_answers`)."""
    router = APIRouter()

    @router.get("/internal/commands/{command_id}")
    async def command_outcome(
        command_id: str,
        collection: Annotated[str | None, Query()] = None,
        timeout_s: Annotated[float, Query(ge=0, le=MAX_WAIT_S)] = 8.0,
        view: Annotated[str | None, Query()] = None,
    ) -> Response:
        """The command's outcome (and resource once readable), or `pending` after `timeout_s`; `view` picks
        the presenter `collection:view` where a collection is shown more than one way."""
        wait = OutcomeWait.model_construct(command_id=command_id, collection=collection, view=view,
                                           timeout_s=timeout_s)
        if (refused := wait.refusal(presenters)) is not None:
            return _json({"error": refused}, 422)
        if timeout_s == 0:  # a status check: read once, wait for nothing
            return _json(shown(presenters, await _read_now(db, command_id, collection), wait.presenter))
        return _json(await settled(db, waits, presenters, wait))

    @router.post("/internal/commands")
    async def command_outcomes(body: OutcomeWaits) -> StreamingResponse:
        """Many writes' long polls in one call: each answer is sent as a frame as soon as it is settled."""
        return StreamingResponse(stream_answers(db, waits, presenters, body.waits),
                                 media_type="application/x-junction-frames")

    return router


async def _read_now(db: AsyncDatabase[Doc], command_id: str, collection: str | None) -> Doc:
    outcome = await db["command_outcomes"].find_one({"_id": command_id})
    if outcome is None:
        return {"status": "pending"}
    if outcome["status"] != SUCCEEDED or collection is None:
        return {"status": outcome["status"], "outcome": outcome}
    doc = await db[collection].find_one({"_id": outcome["resource_id"]})
    if doc is None or doc.get("_version", 0) < outcome["version"]:
        return {"status": "pending", "outcome": outcome}
    return {"status": outcome["status"], "outcome": outcome, "resource": doc}


def create_internal_app(name: str, secret: str, db: AsyncDatabase[Doc], routers: list[APIRouter],
                        presenters: dict[str, Presenter] | None = None, waits: OutcomePoller | None = None
                        ) -> FastAPI:
    """The service's internal FastAPI app: the commands long poll plus the service's own routers.

    `waits` is the service runtime's, which its command batches and projections announce to (a long poll
    then needs no read); without it the waits find outcomes by polling the database."""
    waits = waits if waits is not None else OutcomePoller(db.client, interval_s=0.005)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await waits.close()

    app = FastAPI(title=f"Junction {name} (internal)", lifespan=lifespan, docs_url=None, redoc_url=None)
    errors.install(app)  # a service answers in the public error shape; the gateway passes it on as it is

    async def refused(request: Request, exc: Exception) -> Response:
        return _json({"error": "unauthorized", "message": str(exc)}, 401)

    app.add_exception_handler(_Refused, refused)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        return _json({"status": "ok"})

    guarded = [Depends(internal_call(secret))]
    app.include_router(commands_router(db, waits, presenters or {}), dependencies=guarded)
    for router in routers:
        app.include_router(router, dependencies=guarded)
    install_route_index(app)
    return app

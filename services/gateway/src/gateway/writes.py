"""The write path shared by every command-backed route: idempotency, publish, wait, answer."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from gateway import idempotency as idem
from gateway.availability import DATABASE_ERRORS
from gateway.context import request_id_of
from gateway.deps import Resources
from gateway.dispatch import Dispatcher
from junction_common.envelope import Actor, CommandEnvelope, utcnow
from junction_common.identity import Principal
from junction_common.ids import new_ulid
from junction_common.tracing import inject_headers
from junction_common.web.envelope import ApiError, dumps, error_body, json_response, ok_body

Doc = dict[str, Any]
Present = Callable[[Doc], Doc]


@dataclass(frozen=True)
class WriteSpec:
    """One command-backed operation: where the command goes and where its result is read."""

    service: str
    topic: str
    command_type: str
    collection: str
    resource_type: str
    present: Present
    created_status: int = 201
    # Which of the owning service's views shows the resource where one collection has two (`collection:view`).
    view: str | None = None


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is not None and not (1 <= len(key) <= 255):
        raise ApiError("VALIDATION_ERROR", "Idempotency-Key must be 1 to 255 characters.",
                       [{"pointer": "/headers/Idempotency-Key", "message": "invalid length"}])
    return key


async def execute_write(
    request: Request, res: Resources, principal: Principal, spec: WriteSpec, aggregate_id: str, data: Doc,
    *, new_resource: bool = True, caller_body: Doc | None = None,
    on_fresh: Callable[[Response], Response] | None = None,
    reshape: Callable[[Response], Response] | None = None,
) -> Response:
    """Publish the command and answer with the readable resource, or 202 with an operation id.

    `caller_body` is what the Idempotency-Key fingerprint covers when `data` holds values made here (a
    sealed secret differs every time); `on_fresh` adjusts only the answer to a newly published command
    (never a replay or a resumed one), e.g. to show a generated secret once; `reshape` adjusts every answer,
    replays included, after the stored body was kept (e.g. to sign an expiring URL afresh).
    """
    key = _idempotency_key(request)
    store = res.idempotency
    # A create's command id follows from its new resource id; any other write gets a fresh one.
    command_id = "cmd_" + (aggregate_id.split("_", 1)[-1] if new_resource else new_ulid())
    ids = {"aggregate_id": aggregate_id, "command_id": command_id}
    resume = False
    if key is not None:
        claim = await store.begin(principal.workspace_id, key,
                                  idem.fingerprint(request.method, request.url.path,
                                                   data if caller_body is None else caller_body), ids, utcnow())
        if claim.outcome == idem.CONFLICT:
            raise ApiError("IDEMPOTENCY_CONFLICT", "The idempotency key was reused with a different request body.")
        if claim.outcome == idem.IN_FLIGHT:
            raise ApiError("IDEMPOTENCY_CONFLICT", "A request with this idempotency key is still in progress.",
                           status=409)
        if claim.outcome == idem.REPLAY and claim.response is not None:
            replayed = Response(claim.response["body"].encode(), status_code=claim.response["status"],
                                media_type="application/json", headers={"Idempotent-Replayed": "true"})
            return reshape(replayed) if reshape is not None else replayed
        ids, resume = claim.ids, claim.outcome == idem.RESUME
    cmd = CommandEnvelope(
        command_id=ids["command_id"], type=spec.command_type, aggregate_id=ids["aggregate_id"],
        workspace_id=principal.workspace_id, actor=Actor(kind="api_key", id=principal.key_id),
        request_id=request_id_of(request), correlation_id=request_id_of(request),
        traceparent=inject_headers().get("traceparent"), data=data,
    )
    dispatcher = Dispatcher(res)
    await _publish(dispatcher, store, key, principal, spec, cmd)
    result = await _outcome(dispatcher, spec, cmd, res.settings.command_timeout_s)
    answer = await _answer(request, store, key, principal, spec, cmd, result)
    answer = on_fresh(answer) if on_fresh is not None and not resume else answer
    return reshape(answer) if reshape is not None else answer


async def _publish(
    dispatcher: Dispatcher, store: idem.IdempotencyStore, key: str | None, principal: Principal, spec: WriteSpec,
    cmd: CommandEnvelope,
) -> None:
    """Publish (again, when resuming a key: never assume an earlier attempt did); on failure free the key."""
    try:
        await dispatcher.publish(spec.topic, cmd)
    except ApiError:
        if key is not None:
            with contextlib.suppress(*DATABASE_ERRORS):
                await store.unpublished(principal.workspace_id, key)
        raise


async def _outcome(dispatcher: Dispatcher, spec: WriteSpec, cmd: CommandEnvelope, timeout: float) -> Doc | None:
    """The command's outcome once readable; None (answer 202) when the owning service is slow or unreachable."""
    result = await dispatcher.wait(spec.service, cmd, spec.collection, timeout, spec.view)  # never raises
    if result is None:
        with contextlib.suppress(*DATABASE_ERRORS):
            await dispatcher.record_operation(spec.service, cmd,
                                              {"resource_type": spec.resource_type, "resource_id": cmd.aggregate_id})
    return result


async def _answer(
    request: Request, store: idem.IdempotencyStore, key: str | None, principal: Principal, spec: WriteSpec,
    cmd: CommandEnvelope, result: Doc | None,
) -> Response:
    rid = request_id_of(request)
    if result is None:
        if key is not None:  # if this is lost too, the key goes stale and a retry resumes (and republishes)
            with contextlib.suppress(*DATABASE_ERRORS):
                await store.accepted(principal.workspace_id, key)
        body = ok_body({"operation_id": cmd.command_id, "status": "pending", "resource_id": cmd.aggregate_id},
                       rid)
        return json_response(body, 202, {"Location": f"/v1/operations/{cmd.command_id}"})
    if "resource" in result:
        status, payload = spec.created_status, ok_body(spec.present(result["resource"]), rid)
    else:
        err = result.get("error") or {"code": "INTERNAL_ERROR", "message": "command failed", "details": None}
        status = 404 if err["code"] == "NOT_FOUND" else 422
        payload = error_body(err["code"], err["message"], err.get("details"), rid)
    raw = dumps(payload)
    if key is not None:
        with contextlib.suppress(*DATABASE_ERRORS):
            await store.finish(principal.workspace_id, key, status, raw)
    return Response(raw, status_code=status, media_type="application/json")

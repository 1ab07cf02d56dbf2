"""Webhook endpoints and their delivery logs (workspace-api.txt `/webhooks*`, workflow-api.txt `/webhooks`).

One endpoint resource accepts both documented shapes: `{name, url, event_types}` and `{url, events, secret}`.
The signing secret is generated here (or taken from the caller), sealed by the webhooks service (which
alone holds the vault keys) before it goes into a command, and shown in the creating response only (never
in an idempotent replay or a read).
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from gateway.auth import require_scope
from gateway.availability import unavailable
from gateway.context import request_id_of
from gateway.deps import Resources, ResourcesDep
from gateway.error_docs import ERROR_RESPONSES
from gateway.forwarding import forward
from gateway.parents import parent_in_workspace, readable_at
from gateway.writes import WriteSpec, execute_write
from junction_common.identity import Principal
from junction_common.ids import new_id
from junction_common.web.envelope import ApiError
from junction_common.webhook_signing import new_secret, preview, secret_problem
from webhooks_contracts import declarations as wh

router = APIRouter(prefix="/v1", tags=["Integrations"], responses=ERROR_RESPONSES)
READ, WRITE = require_scope("integrations:read"), require_scope("integrations:write")
ReadP = Annotated[Principal, Depends(READ)]
WriteP = Annotated[Principal, Depends(WRITE)]
EndpointId = Annotated[str, Path(max_length=64, pattern=r"^wh_[A-Za-z0-9]+$")]
DeliveryId = Annotated[str, Path(max_length=64, pattern=r"^whd_[A-Za-z0-9]+$")]
EventKey = Annotated[str, Field(pattern=r"^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$", max_length=128)]
NO_STORE = {"Cache-Control": "no-store"}
_SEAL_TRIES = 12
_ENDPOINT = readable_at(wh.SERVICE, "/v1/webhooks/{id}")
# Routes under /webhooks/{webhook_id}/...: another workspace's or a deleted endpoint is NOT_FOUND before the body.
UNDER_READ = [parent_in_workspace("webhook_id", "webhook endpoint", READ, _ENDPOINT)]
UNDER_WRITE = [parent_in_workspace("webhook_id", "webhook endpoint", WRITE, _ENDPOINT)]


def as_presented(doc: dict[str, Any]) -> dict[str, Any]:
    """A webhooks write's resource as the webhooks service presented it (its outcome long poll applies its
    views: no sealed secret or lease reaches the edge); the edge reads none of its fields."""
    return doc


def _spec(command: str, collection: str, status: int = 200) -> WriteSpec:
    return WriteSpec(wh.SERVICE, wh.COMMANDS, command, collection, "webhook", as_presented, status)


CREATE = _spec(wh.CREATE_ENDPOINT, wh.ENDPOINTS, status=201)
UPDATE = _spec(wh.UPDATE_ENDPOINT, wh.ENDPOINTS)
DELETE = _spec(wh.DELETE_ENDPOINT, wh.ENDPOINTS)
ROTATE = _spec(wh.ROTATE_SECRET, wh.ENDPOINTS)
TEST = _spec(wh.SEND_TEST, wh.DELIVERIES)
RETRY = _spec(wh.RETRY_DELIVERY, wh.DELIVERIES)
RECOVER = _spec(wh.RECOVER_DELIVERIES, "delivery_operations")


class _Limits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=500)
    # Per process (each webhooks replica applies them); bounded so one tenant cannot take the egress.
    rate_limit_per_s: float | None = Field(default=None, gt=0, le=1000)
    max_concurrency: int | None = Field(default=None, ge=1, le=64)
    retry_schedule: list[Annotated[float, Field(ge=0, le=7 * 86400)]] | None = Field(default=None, min_length=1,
                                                                                     max_length=20)


class EndpointCreate(_Limits):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "CRM Ops Webhook", "url": "https://example.com/slab5/webhooks", "event_types": ["contact.created"]},
        {"url": "https://yoursite.com/webhook", "events": ["workflow.executed"], "secret": "your-webhook-secret"}]})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    url: str = Field(min_length=8, max_length=2048, pattern=r"^https?://")
    event_types: list[EventKey] | None = Field(default=None, max_length=200)
    events: list[EventKey] | None = Field(default=None, max_length=200)
    secret: str | None = Field(default=None, min_length=8, max_length=256)

    @model_validator(mode="after")
    def _one_list(self) -> EndpointCreate:
        if self.event_types is not None and self.events is not None and self.event_types != self.events:
            raise ValueError("give event_types or events (the same list), not two different lists")
        if self.secret is not None and (problem := secret_problem(self.secret)):
            raise ValueError(problem)
        return self


class EndpointUpdate(_Limits):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "paused"}]})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    url: str | None = Field(default=None, min_length=8, max_length=2048, pattern=r"^https?://")
    event_types: list[EventKey] | None = Field(default=None, max_length=200)
    events: list[EventKey] | None = Field(default=None, max_length=200)
    status: Literal["active", "paused", "disabled"] | None = None
    # On re-enabling: held deliveries of events before this time are cancelled (default: all are sent).
    catch_up_since: AwareDatetime | None = None


class SecretRotation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secret: str | None = Field(default=None, min_length=8, max_length=256)
    overlap_seconds: int | None = Field(default=None, ge=0, le=7 * 86400)

    @model_validator(mode="after")
    def _usable(self) -> SecretRotation:
        if self.secret is not None and (problem := secret_problem(self.secret)):
            raise ValueError(problem)
        return self


class Recovery(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"since": "2026-01-01T00:00:00Z"}]})

    since: AwareDatetime
    until: AwareDatetime | None = None
    statuses: list[Literal["failed", "cancelled", "succeeded"]] | None = Field(default=None, max_length=3)


async def _sealed(request: Request, res: Resources, principal: Principal, endpoint_id: str, secret: str) -> Any:
    """The webhooks service seals the secret (the edge holds no vault key); 503 while it cannot be reached."""
    answer = None
    for attempt in range(_SEAL_TRIES):  # a restarting webhooks service gets a few seconds
        answer = await res.services().call("POST", wh.SERVICE, f"/internal/v1/webhooks/{endpoint_id}/seal",
                                           request_id_of(request), principal, body={"secret": secret},
                                           quiet=attempt < _SEAL_TRIES - 1)
        if answer is not None:
            break
        await asyncio.sleep(0.25)
    if answer is None or answer[0] != 200:
        raise unavailable("The webhooks service", res.settings.unavailable_retry_after_s)
    return answer[1]["secret_sealed"]


def _with_secret(response: Response, secret: str) -> Response:
    """Add the plaintext secret to a fresh answer (201/200, or 202 while the service is slow); the stored
    idempotent copy never holds it."""
    if response.status_code not in (200, 201, 202):
        return response
    body = json.loads(bytes(response.body))
    body["data"]["secret"] = secret
    return Response(json.dumps(body).encode(), status_code=response.status_code, media_type="application/json",
                    headers=NO_STORE)


@router.get("/webhooks", operation_id="listWebhookEndpoints")
async def list_endpoints(
    request: Request, res: ResourcesDep, principal: ReadP,
    query: Annotated[str | None, Query(max_length=200)] = None,
    status: Literal["active", "paused", "disabled"] | None = None,
    event_type: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25, cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """The workspace's endpoints, newest first; `event_type` keeps those that would receive it."""
    return await forward(request, res, principal, wh.SERVICE)


@router.post("/webhooks", operation_id="createWebhookEndpoint", status_code=201)
async def create_endpoint(body: EndpointCreate, request: Request, res: ResourcesDep, principal: WriteP) -> Response:
    endpoint_id = new_id(wh.ENDPOINT_PREFIX)
    secret = body.secret or new_secret()
    data = body.model_dump(exclude_none=True, exclude={"events", "secret"})
    data["event_types"] = body.event_types if body.event_types is not None else (body.events or [])
    data["name"] = body.name or (body.url.split("//", 1)[-1].split("/", 1)[0])
    data["secret_sealed"] = await _sealed(request, res, principal, endpoint_id, secret)
    data["signing_secret_preview"] = preview(secret)
    return await execute_write(request, res, principal, CREATE, endpoint_id, data,
                               caller_body=body.model_dump(exclude_unset=True),
                               on_fresh=lambda answer: _with_secret(answer, secret))


@router.get("/webhooks/{webhook_id}", operation_id="getWebhookEndpoint")
async def get_endpoint(webhook_id: EndpointId, request: Request, res: ResourcesDep, principal: ReadP) -> Response:
    """One endpoint of the workspace (its secret is never shown again)."""
    return await forward(request, res, principal, wh.SERVICE)


@router.patch("/webhooks/{webhook_id}", operation_id="updateWebhookEndpoint")
async def update_endpoint(
    webhook_id: EndpointId, body: EndpointUpdate, request: Request, res: ResourcesDep, principal: WriteP,
) -> Response:
    data = body.model_dump(exclude_unset=True, exclude={"events", "catch_up_since"})
    if body.events is not None and body.event_types is None:
        data["event_types"] = body.events
    if body.catch_up_since is not None:
        data["catch_up_since"] = body.catch_up_since.isoformat()
    if not data:
        raise ApiError("VALIDATION_ERROR", "Nothing to change.", [{"pointer": "/", "message": "empty update"}])
    return await execute_write(request, res, principal, UPDATE, webhook_id, data, new_resource=False)


@router.delete("/webhooks/{webhook_id}", operation_id="deleteWebhook")
async def delete_endpoint(webhook_id: EndpointId, request: Request, res: ResourcesDep, principal: WriteP) -> Response:
    return await execute_write(request, res, principal, DELETE, webhook_id, {}, new_resource=False)


@router.post("/webhooks/{webhook_id}/secret/rotate", operation_id="rotateWebhookSecret", dependencies=UNDER_WRITE)
async def rotate_secret(
    webhook_id: EndpointId, request: Request, res: ResourcesDep, principal: WriteP,
    body: SecretRotation | None = None,
) -> Response:
    """A new signing secret; the old one stays valid (both signatures are sent) for `overlap_seconds`."""
    body = body or SecretRotation()
    secret = body.secret or new_secret()
    overlap = body.overlap_seconds if body.overlap_seconds is not None else res.settings.webhook_secret_overlap_s
    data = {"secret_sealed": await _sealed(request, res, principal, webhook_id, secret),
            "signing_secret_preview": preview(secret), "overlap_s": overlap}
    return await execute_write(request, res, principal, ROTATE, webhook_id, data, new_resource=False,
                               caller_body=body.model_dump(exclude_unset=True),
                               on_fresh=lambda answer: _with_secret(answer, secret))


@router.post("/webhooks/{webhook_id}/test", operation_id="sendTestWebhookEvent", dependencies=UNDER_WRITE)
async def send_test(webhook_id: EndpointId, request: Request, res: ResourcesDep, principal: WriteP) -> Response:
    return await execute_write(request, res, principal, TEST, webhook_id, {"webhook_id": webhook_id},
                               new_resource=False)


@router.get("/webhooks/{webhook_id}/deliveries", operation_id="listWebhookDeliveries", dependencies=UNDER_READ)
async def list_deliveries(
    webhook_id: EndpointId, request: Request, res: ResourcesDep, principal: ReadP,
    event_type: Annotated[str | None, Query(max_length=128)] = None,
    status: Literal["pending", "retrying", "succeeded", "failed", "cancelled"] | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25, cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """The endpoint's deliveries, newest first."""
    return await forward(request, res, principal, wh.SERVICE)


@router.get("/webhooks/{webhook_id}/deliveries/{delivery_id}", operation_id="getWebhookDelivery",
            dependencies=UNDER_READ)
async def get_delivery(
    webhook_id: EndpointId, delivery_id: DeliveryId, request: Request, res: ResourcesDep, principal: ReadP,
) -> Response:
    """One delivery of the endpoint, with its attempts and the payload it sends."""
    return await forward(request, res, principal, wh.SERVICE)


@router.post("/webhooks/{webhook_id}/deliveries/{delivery_id}/retry", operation_id="retryWebhookDelivery",
             dependencies=UNDER_WRITE)
async def retry_delivery(
    webhook_id: EndpointId, delivery_id: DeliveryId, request: Request, res: ResourcesDep, principal: WriteP,
) -> Response:
    """Send one delivery again now, with the same webhook-id."""
    return await execute_write(request, res, principal, RETRY, delivery_id, {"webhook_id": webhook_id},
                               new_resource=False)


@router.post("/webhooks/{webhook_id}/recover", operation_id="recoverWebhookDeliveries", dependencies=UNDER_WRITE)
async def recover(
    webhook_id: EndpointId, body: Recovery, request: Request, res: ResourcesDep, principal: WriteP,
) -> Response:
    """Resend every failed delivery (or the statuses given) whose event happened in [since, until]."""
    data: dict[str, Any] = {"webhook_id": webhook_id, "since": body.since.isoformat()}
    if body.until is not None:
        data["until"] = body.until.isoformat()
    if body.statuses:
        data["statuses"] = body.statuses
    return await execute_write(request, res, principal, RECOVER, webhook_id, data, new_resource=False)

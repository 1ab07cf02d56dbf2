"""connect-api.txt, Flow triggers: list, create and delete a flow's trigger subscriptions (camelCase, in the
`/connect/v1` envelope); and the webhook trigger's own URL, `POST /connect/v1/flow-hooks/{token}` (an operation
of Junction's own whose token is the credential), answered 202 with the execution id, or with the flow's own
answer when it has a respond-to-webhook step."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from flows.triggers.subscriptions import Subscriptions, trigger_view
from flows.triggers.webhook import HookTokens, answer_headers, flow_answer, receive
from flows_contracts.declarations import CONNECT_BASE
from flows_contracts.triggers import SkipsQuery, TriggerCreate, TriggerUpdate
from junction_common.identity import Principal
from junction_common.internal_api import caller
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import json_response, ok_body, request_id_of

Caller = Annotated[Principal, Depends(caller)]
FlowId = Annotated[str, Path(max_length=64)]
SubscriptionId = Annotated[str, Path(max_length=64)]
Token = Annotated[str, Path(min_length=20, max_length=128)]


def _reply(answer: dict[str, Any]) -> Response:
    """A flow's respond-to-webhook answer as the HTTP reply: its status, its body (JSON, or text as is)."""
    body, headers = answer.get("body"), answer_headers(answer.get("headers"))
    status = int(answer.get("status") or 200)
    media = [headers.pop(k) for k in [k for k in headers if k.lower() == "content-type"]]
    if isinstance(body, str):
        return Response(body, status_code=status, headers=headers, media_type=(media or ["text/plain"])[-1])
    return Response(json.dumps(body, separators=(",", ":"), default=str), status_code=status, headers=headers,
                    media_type="application/json")


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/internal" + CONNECT_BASE)
    subscriptions = Subscriptions(runtime)
    hooks = HookTokens(subscriptions)
    response_wait_s = float(getattr(runtime.settings, "webhook_response_wait_s", 10.0))

    # The hot path first: a route is matched in the order declared, and this one serves every webhook call.
    @api.post("/flow-hooks/{token}")
    async def trigger_flow_webhook(token: Token, request: Request) -> Response:
        """Start the flow of this webhook URL with the request as its trigger data; 202 with the execution id."""
        rid = request_id_of(request)
        data, ended, own_headers = await receive(hooks, token, await request.body(), request.query_params,
                                                 request.headers, rid)
        if ended is not None:
            answer = await flow_answer(runtime, data["executionId"], response_wait_s, ended)
            if answer is not None:
                return _reply(answer)
        return json_response(ok_body(data, rid), 202, answer_headers(own_headers))

    @api.get("/flows/{flowId}/triggers")
    async def list_flow_triggers(flowId: FlowId, request: Request, principal: Caller) -> Response:
        """The flow's live trigger subscriptions, oldest first."""
        data = [trigger_view(d) for d in await subscriptions.of_flow(principal, flowId)]
        return json_response(ok_body(data, request_id_of(request), meta={"total": len(data)}))

    @api.post("/flows/{flowId}/triggers")
    async def create_flow_trigger(flowId: FlowId, body: TriggerCreate, request: Request,
                                  principal: Caller) -> Response:
        """Subscribe the flow to a trigger: webhook (its URL shown once), poll, event, cron, form or manual."""
        rid = request_id_of(request)
        return json_response(ok_body(await subscriptions.create(principal, rid, flowId, body), rid), 201)

    @api.patch("/flows/{flowId}/triggers/{subscriptionId}")
    async def update_flow_trigger(flowId: FlowId, subscriptionId: SubscriptionId, body: TriggerUpdate,
                                  request: Request, principal: Caller) -> Response:
        """Change a subscription's config, connection or webhook secret; its webhook URL stays unless rotated."""
        rid = request_id_of(request)
        updated = await subscriptions.update(principal, rid, flowId, subscriptionId, body)
        hooks.forget()
        return json_response(ok_body(updated, rid))

    @api.delete("/flows/{flowId}/triggers/{subscriptionId}")
    async def delete_flow_trigger(flowId: FlowId, subscriptionId: SubscriptionId, request: Request,
                                  principal: Caller) -> Response:
        """Remove a trigger subscription: nothing starts the flow through it any more."""
        rid = request_id_of(request)
        gone = await subscriptions.delete(principal, rid, flowId, subscriptionId)
        hooks.forget()
        return json_response(ok_body(gone, rid))

    @api.get("/flows/{flowId}/triggers/{subscriptionId}/skips")
    async def list_flow_trigger_skips(flowId: FlowId, subscriptionId: SubscriptionId, request: Request,
                                      principal: Caller, query: Annotated[SkipsQuery, Query()]) -> Response:
        """What a poll subscription did not fire, newest first: each item's id and why (`baseline`,
        `already_seen`, `no_id`)."""
        data = await subscriptions.skips(principal, flowId, subscriptionId, query.limit)
        return json_response(ok_body(data, request_id_of(request), meta={"limit": query.limit}))

    return api

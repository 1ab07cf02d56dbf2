"""connect-api.txt, Provider actions: list a provider's actions with their input schemas, execute one once.

An execution's idempotency key is the call's request id (the gateway accepts a client's `X-Request-Id`), so a
client repeating one request with its request id executes the action once and gets the same answer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request
from fastapi.responses import Response

from flows.actions.runner import ProviderActions
from flows_contracts.declarations import CONNECT_BASE
from junction_common.identity import Principal
from junction_common.internal_api import caller
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of

Caller = Annotated[Principal, Depends(caller)]
ProviderType = Annotated[str, Path(max_length=64)]
ActionName = Annotated[str, Path(max_length=64)]


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/internal" + CONNECT_BASE + "/providers")
    actions = runtime.component(ProviderActions)

    @api.get("/{providerType}/actions")
    async def list_provider_actions(providerType: ProviderType, request: Request, principal: Caller) -> Response:
        """The provider's actions, each with its method, path and the JSON Schema of its inputs."""
        data = await actions.actions(principal.workspace_id, providerType)
        return json_response(ok_body(data, request_id_of(request), meta={"total": len(data)}))

    @api.post("/{providerType}/actions/{actionName}")
    async def execute_provider_action(providerType: ProviderType, actionName: ActionName, request: Request,
                                      principal: Caller, inputs: Annotated[Any, Body()] = None) -> Response:
        """Check the inputs against the action's schema and execute it once through the workspace's connection."""
        inputs = {} if inputs is None else inputs
        if not isinstance(inputs, dict):
            raise ApiError("VALIDATION_ERROR", "The inputs are a JSON object.", {"actionName": actionName})
        rid = request_id_of(request)
        result = await actions.execute(principal.workspace_id, providerType, actionName, inputs, f"req:{rid}")
        return json_response(ok_body(result, rid))

    return api

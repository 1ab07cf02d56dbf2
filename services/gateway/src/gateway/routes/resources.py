"""Routes built from resource declarations (junction_common.contracts): list, create, get, update, archive.

A nested resource's routes answer NOT_FOUND, before anything else is checked, when its parent is not a record of
the caller's workspace (gateway.parents).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel

from gateway.auth import require_scope
from gateway.deps import ResourcesDep, get_resources
from gateway.error_docs import ERROR_RESPONSES
from gateway.forwarding import forward
from gateway.parents import parent_in_workspace, readable_at
from gateway.writes import WriteSpec, execute_write
from junction_common.contracts.list_params import ID_PATTERN, keyword, list_parameters, parent_parameters
from junction_common.contracts.resources import ResourceContract
from junction_common.identity import Principal
from junction_common.ids import new_id
from junction_common.web.listing import present

_ID = r"^[a-z]+_[A-Za-z0-9]+$"
_KEY = r"^[A-Za-z0-9_]{1,64}$"
ACCEPTED: dict[int | str, dict[str, Any]] = {202: {"description": "Accepted; poll GET /v1/operations/{operation_id}."}}
Guard = Callable[..., Awaitable[Principal]]  # the route's scope check (solved once per request)


def _common(guard: Guard) -> list[inspect.Parameter]:
    return [keyword("request", Request, inspect.Parameter.empty),
            keyword("res", Annotated[Any, Depends(get_resources)], inspect.Parameter.empty),
            keyword("principal", Annotated[Principal, Depends(guard)], inspect.Parameter.empty)]


def _list_endpoint(contract: ResourceContract, guard: Guard) -> Any:
    async def endpoint(**args: Any) -> Response:
        return await forward(args["request"], args["res"], args["principal"], contract.service)

    endpoint.__signature__ = inspect.Signature([*_common(guard),  # type: ignore[attr-defined]
                                                *parent_parameters(contract), *list_parameters(contract)])
    return endpoint


def _write_endpoint(contract: ResourceContract, verb: str, model: type[BaseModel] | None, guard: Guard) -> Any:
    spec = WriteSpec(contract.service, contract.commands_topic, contract.command(verb), contract.collection,
                     contract.name, present, 201 if verb == "create" else 200)

    async def endpoint(**args: Any) -> Response:
        body: BaseModel | None = args.get("body")
        data = body.model_dump(exclude_unset=verb != "create", exclude_none=verb == "create") if body else {}
        if contract.parent_param and verb == "create":
            data[contract.parent_param] = args[contract.parent_param]
        target = args.get("resource_id") or new_id(contract.prefix)
        return await execute_write(args["request"], args["res"], args["principal"], spec, target, data,
                                   new_resource=verb == "create")

    params = [*_common(guard), *parent_parameters(contract)]
    if verb != "create":
        params.append(keyword("resource_id", Annotated[str, Path(max_length=64, pattern=ID_PATTERN)],
                              inspect.Parameter.empty))
    if model is not None:
        params.append(keyword("body", model, inspect.Parameter.empty))
    endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return endpoint


def _get_endpoint(contract: ResourceContract) -> Any:
    async def endpoint(request: Request, res: ResourcesDep, resource_id: Annotated[str, Path(max_length=64)],
                       principal: Annotated[Principal, Depends(require_scope(contract.read_scope))]) -> Response:
        return await forward(request, res, principal, contract.service)

    return endpoint


def _parent_check(contract: ResourceContract, contracts: tuple[ResourceContract, ...], guard: Guard) -> list[Any]:
    """For a nested resource's route: its parent must be a record of the caller's workspace (else NOT_FOUND)."""
    if contract.parent_param is None:
        return []
    [parent] = [c for c in contracts if c.name == contract.parent]
    lookup = readable_at(parent.service, parent.path + "/{id}")
    return [parent_in_workspace(contract.parent_param, parent.name.replace("_", " "), guard, lookup)]


def router_for(contracts: tuple[ResourceContract, ...]) -> APIRouter:
    """One router with every documented route of every declared resource."""
    router = APIRouter(responses=ERROR_RESPONSES)
    for c in contracts:
        item = c.path + "/{resource_id}"
        ops = c.operations
        read, write = require_scope(c.read_scope), require_scope(c.write_scope)
        reads, writes = _parent_check(c, contracts, read), _parent_check(c, contracts, write)
        if ops.list:
            router.add_api_route(c.path, _list_endpoint(c, read), methods=["GET"], operation_id=ops.list,
                                 tags=[c.tag], dependencies=reads)
        if ops.create:
            router.add_api_route(c.path, _write_endpoint(c, "create", c.create_model, write), methods=["POST"],
                                 operation_id=ops.create, status_code=201, tags=[c.tag], responses=ACCEPTED,
                                 dependencies=writes)
        if ops.get:
            router.add_api_route(item, _get_endpoint(c), methods=["GET"], operation_id=ops.get, tags=[c.tag],
                                 dependencies=reads)
        if ops.update and c.update_model is not None:
            router.add_api_route(item, _write_endpoint(c, "update", c.update_model, write), methods=["PATCH"],
                                 operation_id=ops.update, tags=[c.tag], responses=ACCEPTED, dependencies=writes)
        if ops.archive:
            router.add_api_route(item, _write_endpoint(c, "archive", None, write), methods=["DELETE"],
                                 operation_id=ops.archive, tags=[c.tag], responses=ACCEPTED, dependencies=writes)
    return router

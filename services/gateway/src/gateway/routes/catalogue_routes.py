"""Every catalogued operation is routed: those no service serves yet authenticate, check scopes, then answer 501.

They never fake success: the answer is NOT_IMPLEMENTED, naming the operation and the service that will own it.
Routes other modules implement are left alone; the OpenAPI document gives every operation the catalogue's `x-`
facts and the references' examples verbatim.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.responses import Response
from starlette.routing import Match

from gateway.auth import authenticate
from gateway.catalogue import ADMIN_ROLES, Operation, extension_operations, load_operations, path_shape
from gateway.deps import ResourcesDep
from gateway.error_docs import ErrorEnvelope
from gateway.forwarding import forward
from junction_common.contracts.operations import Served, served_operations
from junction_common.identity import Principal
from junction_common.web.envelope import ApiError

_ERRORS = {
    401: ("UNAUTHORIZED", "A valid bearer token is required."),
    403: ("FORBIDDEN", "The token does not include the scope required for this operation."),
    422: ("VALIDATION_ERROR", "The request payload failed schema validation."),
    429: ("RATE_LIMITED", "The workspace exceeded the current rate limit."),
}
_MEDIA = "application/json"


def not_implemented(op: Operation) -> ApiError:
    return ApiError("NOT_IMPLEMENTED", f"{op.operation_id} is not available yet: the {op.service} service is not built",
                    {"operation_id": op.operation_id, "service": op.service}, status=501,
                    headers={"Cache-Control": "no-store"} if op.no_store else None)


def authorize(op: Operation, principal: Principal) -> None:
    """The key must carry the operation's scopes (any one when `scopes_any`); admin-only needs OWNER or ADMIN."""
    if not op.scopes_satisfied(principal.has_scope):
        raise ApiError("FORBIDDEN", "The token does not include the scope required for this operation.",
                       {"required_scopes": list(op.scopes), "any_of": op.scopes_any})
    if op.admin_only and principal.role not in ADMIN_ROLES:
        raise ApiError("FORBIDDEN", "This operation requires the ADMIN or OWNER role.",
                       {"required_roles": list(ADMIN_ROLES), "role": principal.role})


def _endpoint(op: Operation) -> Callable[..., Awaitable[Response]]:
    """A handler whose signature declares the principal (API-key operations) and every path parameter."""

    async def endpoint(**kwargs: Any) -> Response:
        principal = kwargs.get("principal")
        if isinstance(principal, Principal):
            authorize(op, principal)
        raise not_implemented(op)

    params = []
    if op.requires_api_key:
        params.append(inspect.Parameter("principal", inspect.Parameter.KEYWORD_ONLY,
                                        annotation=Annotated[Principal, Depends(authenticate)]))
    params += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[str, Path(max_length=512)])
               for name in op.path_params]
    endpoint.__signature__ = inspect.Signature(params, return_annotation=Response)  # type: ignore[attr-defined]
    endpoint.__name__ = f"catalogue_{op.operation_id}"
    return endpoint


def shortened_token_path(op: Operation, params: dict[str, Any]) -> str:
    """The request's path with its last path parameter (the token) cut to 6 characters."""
    path = op.path
    for name in op.path_params:
        value = str(params.get(name, ""))
        path = path.replace("{" + name + "}", value if name != op.path_params[-1] else value[:6] + "…")
    return path


def _forwarding_endpoint(op: Operation, served: Served) -> Callable[..., Awaitable[Response]]:
    """A handler that checks the caller as the catalogue says, validates the declared models, then forwards."""

    async def endpoint(**kwargs: Any) -> Response:
        return await forward(kwargs["request"], kwargs["res"], kwargs.get("principal"), served.service)

    async def token_path_logged_short(request: Request) -> None:
        """The token is a credential: logs and traces show its first characters. A dependency, so it runs before
        the path and body are validated and a refused request is logged short too."""
        request.state.log_path = shortened_token_path(op, request.path_params)

    async def authorized(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        """Scopes and roles are checked before the body is: a caller without them learns nothing of it."""
        authorize(op, principal)
        return principal

    params = [inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request),
              inspect.Parameter("res", inspect.Parameter.KEYWORD_ONLY, annotation=ResourcesDep)]
    if op.requires_api_key:
        params.append(inspect.Parameter("principal", inspect.Parameter.KEYWORD_ONLY,
                                        annotation=Annotated[Principal, Depends(authorized)]))
    if op.auth == "webhook_token":
        params.append(inspect.Parameter("token_logged_short", inspect.Parameter.KEYWORD_ONLY,
                                        annotation=Annotated[None, Depends(token_path_logged_short)]))
    params += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[str, Path(max_length=512)])
               for name in op.path_params]
    if served.query is not None:
        params.append(inspect.Parameter("query", inspect.Parameter.KEYWORD_ONLY,
                                        annotation=Annotated[served.query, Query()]))
    if served.body is not None:
        params.append(inspect.Parameter("body", inspect.Parameter.KEYWORD_ONLY, annotation=served.body))
    endpoint.__signature__ = inspect.Signature(params, return_annotation=Response)  # type: ignore[attr-defined]
    endpoint.__name__ = f"forward_{op.operation_id}"
    return endpoint


def _examples(primary: Any, extra: dict[str, Any], label: str) -> dict[str, Any]:
    """OpenAPI media-type example(s) of the reference: `example` for one, named `examples` for several."""
    named = ({label: primary} if primary is not None else {}) | extra
    if not named:
        return {}
    if len(named) == 1 and primary is not None:
        return {"example": primary}
    return {"examples": {name: {"value": value} for name, value in named.items()}}


def _error_example(code: str, message: str, details: Any) -> dict[str, Any]:
    return {"example": {"success": False, "error": {"code": code, "message": message, "details": details},
                        "request_id": "req_123"}}


def _response_media(op: Operation) -> dict[int, dict[str, Any]]:
    """Per status, the documented example(s): the reference's success example and the error shapes."""
    media = {status: _error_example(code, message, None) for status, (code, message) in _ERRORS.items()}
    err = not_implemented(op)
    media[501] = _error_example(err.code, err.message, err.details)
    success = _examples(op.response_example, dict(op.extra_response_examples), op.seed)
    if success:
        media[200] = success
    return media


def _responses(op: Operation) -> dict[int | str, dict[str, Any]]:
    responses: dict[int | str, dict[str, Any]] = {}
    for status, media in _response_media(op).items():
        if status == 200:
            responses[status] = {"description": "Documented response example.", "content": {_MEDIA: media}}
        else:
            description = _ERRORS[status][1] if status in _ERRORS else not_implemented(op).message
            responses[status] = {"model": ErrorEnvelope, "description": description, "content": {_MEDIA: media}}
    return responses


def _request_body(op: Operation) -> dict[str, Any]:
    media = {"schema": {"type": "object"}} | _examples(op.request_example, dict(op.extra_request_examples), op.seed)
    return {"required": False, "content": {_MEDIA: media}}


def catalogue_extensions(op: Operation) -> dict[str, Any]:
    """The `x-` facts of an operation in the OpenAPI document."""
    return {"x-required-scopes": list(op.scopes), "x-scopes-any": op.scopes_any, "x-seeds": list(op.seeds),
            "x-idempotency": op.idempotency, "x-service": op.service, "x-admin-only": op.admin_only,
            "x-auth": op.auth, "x-no-store": op.no_store}


def _openapi_extra(op: Operation) -> dict[str, Any]:
    extra = catalogue_extensions(op) | {"x-implemented": False}
    if op.idempotency:
        extra["parameters"] = [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": {"type": "string", "maxLength": 255},
                                "description": "Stable key for safe retries of the same logical write."}]
    if op.body:
        extra["requestBody"] = _request_body(op)
    return extra


def _description(op: Operation) -> str:
    seeds = ", ".join(f"{s}.txt" for s in op.seeds)
    need = " or ".join(op.scopes) if op.scopes_any else " and ".join(op.scopes)
    who = {"api_key": f"Requires {need}.", "webhook_token": "The webhook token in the path is the credential.",
           "oauth_state": "The signed OAuth state is the credential."}[op.auth]
    admin = " Requires the ADMIN or OWNER role." if op.admin_only else ""
    return f"Documented in {seeds}. {who}{admin} Not available yet: served by the {op.service} service."


def _route_order(op: Operation) -> tuple[tuple[bool, str], ...]:
    """Literal segments before parameters, so `/v1/integrations/events` is not taken by `/{integrationId}`."""
    return tuple((seg == "{}", seg) for seg in path_shape(op.path).split("/"))


def _served(app: FastAPI, op: Operation) -> bool:
    """Whether a request to this operation (dummy path parameters) already reaches a route of the app."""
    scope = {"type": "http", "method": op.method, "path": path_shape(op.path).replace("{}", "x1"), "root_path": "",
             "headers": [], "query_string": b""}
    return any(route.matches(scope)[0] == Match.FULL for route in app.router.routes)


def _annotate_openapi(schema: dict[str, Any], ops: list[Operation]) -> None:
    """Give every catalogued operation its `x-` facts; restore stub examples verbatim (FastAPI drops nulls)."""
    index = {(method.upper(), path_shape(path)): spec for path, item in schema.get("paths", {}).items()
             for method, spec in item.items() if isinstance(spec, dict)}
    for op in ops:
        spec = index.get(op.key)
        if spec is None:
            continue
        for name, value in catalogue_extensions(op).items():
            spec.setdefault(name, value)
        spec.setdefault("x-implemented", True)
        if spec["x-implemented"] is not False or spec.get("operationId") != op.operation_id:
            continue
        if op.body:
            spec["requestBody"] = _request_body(op)
        for status, media in _response_media(op).items():
            content = spec.setdefault("responses", {}).setdefault(str(status), {}).setdefault("content", {})
            content.setdefault(_MEDIA, {}).update(media)


def register_catalogue_routes(app: FastAPI, served: dict[str, Served] | None = None) -> None:
    """Route every catalogued operation the app has no route for: forwarded to the service that declares it
    served (junction_common.contracts.operations), else, behind auth and scope checks, to a 501."""
    declared = served_operations() if served is None else served
    ops = load_operations() + extension_operations(declared)
    missing = [op for op in sorted(ops, key=_route_order) if not _served(app, op)]
    for op in missing:
        if op.operation_id in declared:
            endpoint = _forwarding_endpoint(op, declared[op.operation_id])
            app.add_api_route(op.path, endpoint, methods=[op.method], operation_id=op.operation_id,
                              summary=op.summary, description=op.summary, tags=[op.tag], name=endpoint.__name__,
                              openapi_extra=catalogue_extensions(op) | {"x-implemented": True})
            for alias in op.path_aliases:
                app.add_api_route(alias, endpoint, methods=[op.method], include_in_schema=False,
                                  name=f"{endpoint.__name__}_alias")
            continue
        endpoint = _endpoint(op)
        app.add_api_route(op.path, endpoint, methods=[op.method], operation_id=op.operation_id,
                          summary=op.summary, description=_description(op), tags=[op.tag],
                          name=endpoint.__name__, responses=_responses(op), openapi_extra=_openapi_extra(op))
        for alias in op.path_aliases:
            app.add_api_route(alias, endpoint, methods=[op.method], include_in_schema=False,
                              name=f"{endpoint.__name__}_alias")
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        _annotate_openapi(schema, ops)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

"""connect-api.txt, Flow templates: list, detail and clone (`/connect/v1/flow-templates`), camelCase in the
`/connect/v1` envelope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from flows.templates.catalogue import Template, library, listed
from flows.templates.clone import clone
from flows_contracts.declarations import CONNECT_BASE
from flows_contracts.templates import TemplateClone, TemplateListQuery
from junction_common.identity import Principal
from junction_common.internal_api import caller
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of

Caller = Annotated[Principal, Depends(caller)]
Slug = Annotated[str, Path(max_length=100)]


def template_of(slug: str) -> Template:
    found = library().get(slug)
    if found is None:
        raise ApiError("NOT_FOUND", "Flow template not found.", {"slug": slug})
    return found


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/internal" + CONNECT_BASE + "/flow-templates")

    @api.get("")
    async def list_flow_templates(request: Request, principal: Caller,
                                  query: Annotated[TemplateListQuery, Query()]) -> Response:
        """Every flow template (optionally of one category, or using one provider), by name."""
        data = [t.summary() for t in listed(query.category, query.provider)]
        return json_response(ok_body(data, request_id_of(request), meta={"total": len(data)}))

    @api.get("/{slug}")
    async def get_flow_template(slug: Slug, request: Request, principal: Caller) -> Response:
        """One template with its workflow (nodes, edges, variables) and the trigger it expects."""
        return json_response(ok_body(template_of(slug).detail(), request_id_of(request)))

    @api.post("/{slug}/clone")
    async def clone_flow_template(slug: Slug, body: TemplateClone, request: Request, principal: Caller) -> Response:
        """A draft flow from the template, named as asked, its trigger using the given connection."""
        rid = request_id_of(request)
        return json_response(ok_body(await clone(runtime, principal, rid, template_of(slug), body), rid), 201)

    return api

"""Reads of the declared crm resources (crm_contracts), of contacts and of the CMS search: lists and gets."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from crm_contracts.cms import CMS_ENTRY
from crm_contracts.crm import CONTACT_SEARCH_FIELDS, CRM_RESOURCES
from junction_common.contracts.list_params import keyword, list_parameters, parent_parameters
from junction_common.contracts.resources import ResourceContract
from junction_common.identity import Principal
from junction_common.internal_api import caller
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of
from junction_common.web.listing import list_page, present, text_filter
from junction_common.web.reads import Caller, Reads

Doc = dict[str, Any]
PREFIX = "/internal"


def list_filter(contract: ResourceContract, args: dict[str, Any]) -> Doc:
    """The read model's filter for one list call: search terms, parent, declared filters, custom field."""
    filt: Doc = text_filter(args.get("query"), contract.search_fields)
    if contract.parent_param:
        filt[contract.parent_param] = args[contract.parent_param]
    if not (contract.archived_status and args.get("status")):  # archived records only when asked for
        filt["archived"] = False
    for f in contract.filters:
        if args.get(f.name) is not None:
            filt[f.doc_field] = args[f.name]
    key, value = args.get("custom_field_key"), args.get("custom_field_value")
    if key:
        filt[f"custom_fields.{key}"] = value if value is not None else {"$exists": True}
    return filt


def _list_endpoint(reads: Reads, contract: ResourceContract) -> Any:
    async def endpoint(**args: Any) -> Response:
        coll = reads.db[contract.collection]
        return await list_page(args["request"], coll, args["principal"], reads.cursor_secret,
                               list_filter(contract, args), args["limit"], args["cursor"])

    endpoint.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        keyword("request", Request, inspect.Parameter.empty),
        keyword("principal", Annotated[Principal, Depends(caller)], inspect.Parameter.empty),
        *parent_parameters(contract), *list_parameters(contract)])
    return endpoint


def _get_endpoint(reads: Reads, contract: ResourceContract) -> Any:
    async def endpoint(request: Request, principal: Caller,
                       resource_id: Annotated[str, Path(max_length=64)]) -> Response:
        query: Doc = {"_id": resource_id, "workspace_id": principal.workspace_id}
        if contract.parent_param:  # a nested record is found only under its own parent
            query[contract.parent_param] = request.path_params.get(contract.parent_param)
        doc = await reads.db[contract.collection].find_one(query)
        if doc is None:
            raise ApiError("NOT_FOUND", f"The {contract.name.replace('_', ' ')} could not be found.")
        return json_response(ok_body(present(doc), request_id_of(request)))

    return endpoint


def router(runtime: ServiceRuntime) -> APIRouter:
    """Hand-written reads first: a declared get (`/v1/cms/entries/{id}`) would take `/v1/cms/entries/search`."""
    reads = Reads.of(runtime)
    api = APIRouter(prefix=PREFIX)
    @api.get("/v1/contacts")
    async def list_contacts(
        request: Request, principal: Caller,
        query: Annotated[str | None, Query(max_length=200)] = None,
        company_id: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_]+$")] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 25,
        cursor: Annotated[str | None, Query(max_length=512)] = None,
    ) -> Response:
        filt: Doc = text_filter(query, CONTACT_SEARCH_FIELDS) if query and query.strip() else {}
        if company_id:
            filt["company_id"] = company_id
        return await list_page(request, reads.db["contacts"], principal, reads.cursor_secret, filt, limit, cursor)

    @api.get("/v1/cms/entries/search")
    async def search_entries(
        request: Request, principal: Caller,
        query: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 25,
        cursor: Annotated[str | None, Query(max_length=512)] = None,
    ) -> Response:
        filt = {"archived": False, **text_filter(query, CMS_ENTRY.search_fields)}
        return await list_page(request, reads.db[CMS_ENTRY.collection], principal, reads.cursor_secret, filt,
                               limit, cursor)

    for c in CRM_RESOURCES:
        if c.operations.list:
            api.add_api_route(c.path, _list_endpoint(reads, c), methods=["GET"])
        # Every record can be read here, documented GET or not: the edge asks before a nested route (a ticket's
        # messages, a lead's conversion, an asset's completion) whether the parent is the caller's.
        api.add_api_route(c.path + "/{resource_id}", _get_endpoint(reads, c), methods=["GET"])

    return api

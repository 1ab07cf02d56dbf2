"""integrations-api.txt: the catalogue of available integrations and its search, in the `/v1` envelope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from connections.api.deps import PREFIX, Caller
from connections.catalogue.index import Catalogue
from connections.presenters.integrations import available_integration
from connections_contracts.declarations import INTEGRATIONS_BASE
from junction_common.web.envelope import json_response, ok_body, request_id_of


def router(catalogue: Catalogue) -> APIRouter:
    api = APIRouter(prefix=PREFIX + INTEGRATIONS_BASE)

    @api.get("/available")
    async def list_available(request: Request, principal: Caller) -> Response:
        """Every integration a tenant can configure, with its settings schema and sync event types."""
        data = [available_integration(m).wire() for m in catalogue.manifests]
        return json_response(ok_body(data, request_id_of(request), meta={"total": len(data)}))

    @api.get("/search")
    async def search(request: Request, principal: Caller,
                     q: Annotated[str, Query(min_length=1, max_length=200)]) -> Response:
        """Integrations whose type, name, description or categories hold every term of `q`, best match first."""
        data = [available_integration(m).wire() for m in catalogue.search(q)]
        return json_response(ok_body(data, request_id_of(request), meta={"total": len(data), "q": q}))

    return api

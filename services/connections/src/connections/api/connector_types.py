"""pipelines-api.txt: the connector types, in that reference's own shape (`{"connectorTypes": [...]}`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from connections.api.deps import PREFIX, Caller
from connections.catalogue.index import Catalogue
from connections.presenters.pipelines import connector_types
from connections_contracts.declarations import PIPELINES_BASE
from junction_common.web.envelope import json_response
from junction_common.web.pipelines_shape import PipelinesRoute


def router(catalogue: Catalogue) -> APIRouter:
    api = APIRouter(prefix=PREFIX + PIPELINES_BASE, route_class=PipelinesRoute)

    @api.get("/connector-types")
    async def list_connector_types(principal: Caller) -> Response:
        """Every connector type with its name, category and the credential fields a connection requires."""
        return json_response(connector_types(catalogue.manifests).wire())

    return api

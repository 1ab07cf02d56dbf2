"""`GET /internal/runtime/connections/{id}/source`: a connection's (or a tenant integration's, `int_...`) source and
opened credentials for the sync service's run (internal only: no gateway operation reaches it, and only a SERVICE
principal is answered)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from connections.api.deps import PREFIX, Caller
from connections.app.operations import Connections
from connections.app.run_source import run_source
from connections.catalogue.index import Catalogue
from junction_common.web.envelope import json_response


def router(catalogue: Catalogue, connections: Connections) -> APIRouter:
    api = APIRouter(prefix=PREFIX + "/runtime/connections")

    @api.get("/{id}/source")
    async def connection_source(id: Annotated[str, Path(max_length=64)], principal: Caller) -> Response:
        """The connection's provider, source program and config (with credentials), for a run."""
        return json_response(await run_source(catalogue, connections, principal, id))

    return api

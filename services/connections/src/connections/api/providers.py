"""connect-api.txt: the providers catalogue, in the `/connect/v1` envelope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from connections.api.deps import PREFIX, Caller
from connections.catalogue.index import Catalogue
from connections.presenters.connect import provider_detail, provider_summary
from connections_contracts.declarations import CONNECT_BASE
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of

ProviderType = Annotated[str, Path(max_length=64)]


def router(catalogue: Catalogue) -> APIRouter:
    api = APIRouter(prefix=PREFIX + CONNECT_BASE + "/providers")

    @api.get("")
    async def list_providers(request: Request, principal: Caller,
                             category: Annotated[str | None, Query(max_length=40)] = None) -> Response:
        """Every provider with its metadata and capabilities, by type (optionally those of one category)."""
        data = [provider_summary(m).wire() for m in catalogue.in_category(category)]
        return json_response(ok_body(data, request_id_of(request), meta={"total": len(data)}))

    @api.get("/{type}")
    async def get_provider(type: ProviderType, request: Request, principal: Caller) -> Response:
        """One provider's metadata: auth, credential fields, limits, streams, actions, triggers, webhooks."""
        manifest = catalogue.get(type)
        if manifest is None:
            raise ApiError("NOT_FOUND", "Provider not found.", {"type": type})
        return json_response(ok_body(provider_detail(manifest).wire(), request_id_of(request)))

    return api

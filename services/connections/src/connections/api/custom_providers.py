"""Custom providers (operations of Junction's own, in the `/connect/v1` envelope): a workspace admin registers,
lists, gets, replaces and deletes the workspace's private provider manifests. Each is validated by the very model
the built-in manifests are; its type may not take one the base catalogue (built-ins, operators' folders) holds."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from connections.api.deps import PREFIX, Caller
from connections.app.custom_providers import CustomProviders
from connections.presenters.connect import provider_detail
from connections_contracts import custom_providers as cp
from connections_contracts.declarations import CONNECT_BASE
from junction_common.web.envelope import json_response, ok_body, request_id_of

Doc = dict[str, Any]
ProviderType = Annotated[str, Path(max_length=64)]
BASE = CONNECT_BASE + "/custom-providers"


def router(providers: CustomProviders) -> APIRouter:
    api = APIRouter(prefix=PREFIX + BASE)

    def view(doc: Doc) -> Doc:
        """The provider as GET /connect/v1/providers/:type shows it, plus its manifest and registration times."""
        manifest = providers.manifest_of(doc)
        return {**provider_detail(manifest).wire(), "custom": True, "manifest": doc["manifest"],
                "created_at": doc.get("created_at"), "updated_at": doc.get("updated_at")}

    @api.get("")
    async def list_custom_providers(request: Request, principal: Caller) -> Response:
        """The workspace's custom providers, by type."""
        docs = await providers.live(principal.workspace_id)
        return json_response(ok_body([view(d) for d in docs], request_id_of(request), meta={"total": len(docs)}))

    @api.post("")
    async def register_custom_provider(body: cp.CustomProviderBody, request: Request, principal: Caller) -> Response:
        """Register a manifest for this workspace only; it is found everywhere a provider is looked up."""
        doc = await providers.register(providers.call(principal, request), body.manifest())
        return json_response(ok_body(view(doc), request_id_of(request)), 201)

    @api.get("/{type}")
    async def get_custom_provider(type: ProviderType, request: Request, principal: Caller) -> Response:
        doc = await providers.find(principal.workspace_id, type)
        return json_response(ok_body(view(doc), request_id_of(request)))

    @api.put("/{type}")
    async def replace_custom_provider(type: ProviderType, body: cp.CustomProviderBody, request: Request,
                                      principal: Caller) -> Response:
        """Replace its manifest (validated again); its connections keep working with the new facts."""
        doc = await providers.replace(providers.call(principal, request), type, body.manifest())
        return json_response(ok_body(view(doc), request_id_of(request)))

    @api.delete("/{type}")
    async def delete_custom_provider(type: ProviderType, request: Request, principal: Caller) -> Response:
        """Delete it: the workspace stops finding it at once; its connections stay, unusable until it returns."""
        await providers.delete(providers.call(principal, request), type)
        return json_response(ok_body({"type": type, "deleted": True}, request_id_of(request)))

    return api

"""integrations-api.txt's tenant integrations (list, create, get, update, delete, regenerate-key) and
workflow-api.txt's integrations (list, test), one resource, in the `/v1` envelope. Secret settings and the inbound
key are never answered, except the key right after create and regenerate-key (no-store)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from connections.api.deps import PREFIX, Caller
from connections.app.operations import Call
from connections.app.tenant_integrations import TenantIntegrations
from connections.catalogue.index import Catalogue
from connections.catalogue.manifest import Manifest
from connections_contracts import tenant_integrations as ti
from connections_contracts.declarations import INTEGRATIONS_BASE
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of

Doc = dict[str, Any]
IntegrationId = Annotated[str, Path(max_length=64)]
InboundKey = Annotated[str, Path(min_length=8, max_length=128)]
NO_STORE = {"Cache-Control": "no-store"}


def integration_view(doc: Doc) -> Doc:
    """The integration as integrations-api.txt's requests name its fields (camelCase); no secret value."""
    return {
        "id": doc["_id"], "service": doc.get("service"), "name": doc.get("name"), "enabled": doc.get("enabled"),
        "settings": doc.get("settings") or {}, "secretSettings": doc.get("secret_settings") or [],
        "synchronizations": [{"eventType": s["event_type"], "enabled": s["enabled"]}
                             for s in doc.get("synchronizations") or []],
        "keyPreview": doc.get("key_preview"), "keyRegeneratedAt": doc.get("key_regenerated_at"),
        "lastTestStatus": doc.get("last_test_status"), "lastTestError": doc.get("last_test_error"),
        "lastTestedAt": doc.get("last_tested_at"), "createdAt": doc.get("created_at"),
        "updatedAt": doc.get("updated_at"),
    }


def _manifest(catalogue: Catalogue, service: str, pointer: str = "/service") -> Manifest:
    manifest = catalogue.get(service)
    if manifest is None:
        raise ApiError("VALIDATION_ERROR", "No integration of that service: see GET /v1/integrations/available.",
                       {"pointer": pointer, "service": service})
    return manifest


def router(catalogue: Catalogue, integrations: TenantIntegrations) -> APIRouter:
    api = APIRouter(prefix=PREFIX + INTEGRATIONS_BASE)

    @api.get("")
    @api.get("/", include_in_schema=False)  # integrations-api writes it `GET /v1/integrations/`
    async def list_integrations(request: Request, principal: Caller,
                                query: Annotated[ti.IntegrationListQuery, Depends()]) -> Response:
        """The workspace's configured integrations, oldest first, a page of them (`meta: {page, limit, total}`)."""
        docs, total = await integrations.page(principal.workspace_id, query)
        meta = {"page": query.page, "limit": query.limit, "total": total}
        return json_response(ok_body([integration_view(d) for d in docs], request_id_of(request), meta=meta))

    @api.post("")
    async def create_integration(body: ti.IntegrationCreate, request: Request, principal: Caller) -> Response:
        """Configure an integration: settings checked against the provider's schema, the inbound key shown once."""
        manifest = _manifest(catalogue, body.service)
        doc, key = await integrations.create(Call(principal, request_id_of(request)), manifest, body)
        data = {**integration_view(doc), "apiKey": key}
        return json_response(ok_body(data, request_id_of(request)), 201, headers=NO_STORE)

    @api.post("/inbound/{key}", status_code=202)
    async def receive_inbound(key: InboundKey, body: ti.InboundEvent, request: Request) -> Response:
        """Junction's own: a tenant's system pushes an event with its integration's inbound key (the credential)."""
        delivery_id = await integrations.receive(key, body, request_id_of(request))
        data = {"id": delivery_id, "eventType": body.eventType, "accepted": True}
        return json_response(ok_body(data, request_id_of(request)), 202)

    @api.get("/{integrationId}")
    async def get_integration(integrationId: IntegrationId, request: Request, principal: Caller) -> Response:
        doc = await integrations.find(principal.workspace_id, integrationId)
        return json_response(ok_body(integration_view(doc), request_id_of(request)))

    @api.put("/{integrationId}")
    async def update_integration(integrationId: IntegrationId, body: ti.IntegrationUpdate, request: Request,
                                 principal: Caller) -> Response:
        """Change any field; settings are merged over the saved ones and checked again."""
        doc = await integrations.find(principal.workspace_id, integrationId)
        manifest = _manifest(catalogue, doc["service"])
        doc = await integrations.update(Call(principal, request_id_of(request)), doc, manifest, body)
        return json_response(ok_body(integration_view(doc), request_id_of(request)))

    @api.delete("/{integrationId}")
    async def delete_integration(integrationId: IntegrationId, request: Request, principal: Caller) -> Response:
        """Delete it: its secret settings and key are erased, its history kept."""
        doc = await integrations.find(principal.workspace_id, integrationId)
        await integrations.delete(Call(principal, request_id_of(request)), doc)
        return json_response(ok_body({"id": integrationId, "deleted": True}, request_id_of(request)))

    @api.post("/{integrationId}/regenerate-key")
    async def regenerate_key(integrationId: IntegrationId, request: Request, principal: Caller) -> Response:
        """A new inbound key, shown once; the previous one is refused from this answer on."""
        doc = await integrations.find(principal.workspace_id, integrationId)
        doc, key = await integrations.regenerate_key(Call(principal, request_id_of(request)), doc)
        data = {"id": doc["_id"], "apiKey": key, "keyPreview": doc.get("key_preview"),
                "keyRegeneratedAt": doc.get("key_regenerated_at")}
        return json_response(ok_body(data, request_id_of(request)), headers=NO_STORE)

    @api.post("/{id}/test")
    async def test_integration(id: IntegrationId, request: Request, principal: Caller) -> Response:
        """workflow-api.txt, Test Integration: its settings tried against the provider; the outcome recorded."""
        doc = await integrations.find(principal.workspace_id, id)
        manifest = _manifest(catalogue, doc["service"])
        doc = await integrations.test(Call(principal, request_id_of(request)), doc, manifest)
        passed = doc.get("last_test_status") == "CONNECTED"
        data = {"id": doc["_id"], "success": passed, "status": doc.get("last_test_status"),
                "message": "Integration test passed" if passed else doc.get("last_test_error"),
                "testedAt": doc.get("last_tested_at")}
        return json_response(ok_body(data, request_id_of(request)))

    return api

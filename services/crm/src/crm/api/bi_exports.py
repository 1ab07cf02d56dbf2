"""BI exports on the crm's internal API: the checks before a create, the generation after it, the list and the
read (each completed export with a fresh signed download URL) and the download the gateway forwards.

The gateway passes its public base URL (`base_url`): a download URL is signed under it, and the gateway serves
`/v1/bi/exports/{id}/download` by forwarding it here, where the signature is verified and the file streamed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from crm.bi import exports
from crm.bi.sweeper import BiExports
from crm_contracts.bi import BI_EXPORT, ExportCreate
from junction_common.envelope import Actor
from junction_common.object_store import signed_urls
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of
from junction_common.web.listing import list_page
from junction_common.web.reads import Caller, Reads

PREFIX = "/internal/v1/bi/exports"
BaseUrl = Annotated[str, Query(min_length=1, max_length=2048)]
ExportId = Annotated[str, Path(max_length=64, pattern=r"^exp_[A-Za-z0-9]+$")]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=512)]


def router(runtime: ServiceRuntime) -> APIRouter:
    reads, api = Reads.of(runtime), APIRouter(prefix=PREFIX)
    secret = runtime.settings.signing_secret  # signs and verifies download URLs

    def files() -> BiExports:
        return runtime.component(BiExports)

    @api.post("/check")
    async def check_export(body: ExportCreate, request: Request, principal: Caller) -> Response:
        """Whether the export may be created: an invalid query, or a source the key may not read, creates nothing."""
        await exports.check(reads.db, principal, body, files().sync)
        return json_response(ok_body({"allowed": True}, request_id_of(request)))

    @api.post("/{export_id}/generate")
    async def generate_export(export_id: ExportId, request: Request, principal: Caller, base_url: BaseUrl) -> Response:
        """Generate the export if still pending (a repeat is harmless); the export as it now reads (201)."""
        doc = await reads.db[BI_EXPORT.collection].find_one({"_id": export_id, "workspace_id": principal.workspace_id})
        if doc is None:
            raise ApiError("NOT_FOUND", "The export could not be found.")
        actor = Actor(kind="api_key", id=principal.key_id)
        doc = await exports.finish(runtime, files().objects, doc, actor, request_id_of(request), files().sync)
        data = exports.view(doc, base_url, secret, principal)
        return json_response(ok_body(data, request_id_of(request)), 201)

    @api.get("")
    async def list_exports(request: Request, principal: Caller, base_url: BaseUrl, limit: Limit = 25,
                           cursor: Cursor = None) -> Response:
        """Exports newest first with their status; completed ones carry a signed, expiring download URL."""
        return await list_page(request, reads.db[BI_EXPORT.collection], principal, reads.cursor_secret,
                               {"archived": False}, limit, cursor,
                               lambda doc: exports.view(doc, base_url, secret, principal))

    @api.get("/{export_id}")
    async def get_export(export_id: ExportId, request: Request, principal: Caller, base_url: BaseUrl) -> Response:
        """The export as a write's answer shows it (with a fresh download URL once completed)."""
        doc = await reads.db[BI_EXPORT.collection].find_one({"_id": export_id, "workspace_id": principal.workspace_id})
        if doc is None:
            raise ApiError("NOT_FOUND", "The export could not be found.")
        data = exports.view(doc, base_url, secret, principal)
        return json_response(ok_body(data, request_id_of(request)))

    @api.get("/{export_id}/download")
    async def download_export(export_id: ExportId, ws: Annotated[str, Query()], expires: Annotated[int, Query()],
                              sig: Annotated[str, Query()]) -> Response:
        """The CSV file; the signed URL is the only credential (forged or expired: 403)."""
        signed_urls.verify(secret, exports.ACTION, ws, export_id, expires, sig)
        doc = await reads.db[BI_EXPORT.collection].find_one({"_id": export_id, "workspace_id": ws})
        if doc is None or doc.get("status") != "completed":
            raise ApiError("NOT_FOUND", "The export is not available.")
        return await files().objects.response(ws, exports.object_key(doc), "text/csv",
                                              f"{doc.get('name') or export_id}.csv")

    return api

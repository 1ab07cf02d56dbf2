"""Assets: upload intents with signed URLs served by Junction itself, verified completion, signed downloads."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from crm_contracts.assets import ASSET, MAX_ASSET_BYTES, AssetComplete, AssetCreate
from gateway.auth import require_scope
from gateway.availability import unavailable
from gateway.context import request_id_of
from gateway.deps import Resources, ResourcesDep
from gateway.error_docs import ERROR_RESPONSES
from gateway.forwarding import INTERNAL_PREFIX
from gateway.object_store import signed_urls
from gateway.parents import parent_in_workspace, readable_at
from gateway.writes import WriteSpec, execute_write
from junction_common.identity import Principal
from junction_common.ids import new_id
from junction_common.web.envelope import ApiError, dumps, json_response, ok_body
from junction_common.web.listing import present

router = APIRouter(prefix="/v1", tags=["Assets"], responses=ERROR_RESPONSES)
AssetId = Annotated[str, Path(max_length=64, pattern=r"^asset_[A-Za-z0-9]+$")]
WRITE = require_scope("assets:write")
Writer = Annotated[Principal, Depends(WRITE)]
Reader = Annotated[Principal, Depends(require_scope("assets:read"))]
URL_TTL_S = 900
Doc = dict[str, Any]


def _url(request: Request, res: Resources, action: str, workspace_id: str, asset_id: str) -> str:
    return signed_urls.signed_url(str(request.base_url), f"/v1/assets/{asset_id}/{action}", res.settings.signing_secret,
                                  action, workspace_id, asset_id, URL_TTL_S)


def _with_upload_url(request: Request, res: Resources, workspace_id: str, answer: Response) -> Response:
    """Sign the upload URL for the answered asset itself, now: a replayed or resumed answer names the asset of the
    first request, and its stored copy (kept 24 h) holds no URL that could have expired."""
    if answer.status_code not in (200, 201):
        return answer
    body = json.loads(bytes(answer.body))
    asset = body.get("data")
    if not body.get("success") or not isinstance(asset, dict) or not isinstance(asset.get("id"), str):
        return answer
    asset.update(upload_url=_url(request, res, "upload", workspace_id, asset["id"]), upload_expires_in=URL_TTL_S)
    headers = {k: v for k, v in answer.headers.items() if k.lower() not in ("content-length", "content-type")}
    return Response(dumps(body), status_code=answer.status_code, media_type="application/json", headers=headers)


@router.post("/assets", operation_id="createAssetUploadIntent", status_code=201)
async def create_upload_intent(body: AssetCreate, request: Request, res: ResourcesDep, principal: Writer) -> Response:
    """Register an asset and answer a signed, expiring `upload_url` (PUT the bytes there)."""
    spec = WriteSpec("crm", ASSET.commands_topic, ASSET.command("create"), ASSET.collection, "asset", present)
    data = body.model_dump(exclude_none=True)
    data.setdefault("name", body.file_name)  # the reference lists assets by `name`; the file's name by default
    return await execute_write(request, res, principal, spec, new_id(ASSET.prefix), data,
                               reshape=lambda answer: _with_upload_url(request, res, principal.workspace_id, answer))


async def _asset(res: Resources, request_id: str, workspace_id: str, asset_id: str) -> Doc | None:
    """The asset as the crm shows it to its workspace (asked as the holder of a signed URL for that workspace)."""
    holder = Principal(workspace_id=workspace_id, key_id="signed_url", role="MEMBER", scopes=frozenset({"assets:read"}))
    answer = await res.services().get("crm", f"{INTERNAL_PREFIX}{ASSET.path}/{quote(asset_id, safe='')}",
                                      request_id, holder)
    if answer is None:
        raise unavailable("The crm service", res.settings.unavailable_retry_after_s)
    status, body = answer
    return body.get("data") if status == 200 and isinstance(body.get("data"), dict) else None


async def _require_pending(res: Resources, request_id: str, workspace_id: str, asset_id: str) -> None:
    """Bytes are taken only while the asset waits for them: once completed, its checked bytes stay as they are."""
    doc = await _asset(res, request_id, workspace_id, asset_id)
    if doc is None:
        raise ApiError("NOT_FOUND", "No upload is pending for this asset.")
    if doc.get("status") != "upload_pending":
        raise ApiError("VALIDATION_ERROR", "The asset no longer accepts an upload.", {"status": doc.get("status")},
                       status=409)


@router.put("/assets/{asset_id}/upload", include_in_schema=False)
async def upload_bytes(asset_id: AssetId, request: Request, res: ResourcesDep, ws: Annotated[str, Query()],
                       expires: Annotated[int, Query()], sig: Annotated[str, Query()]) -> Response:
    """The signed URL is the credential; at most MAX_ASSET_BYTES are accepted, and only while the upload is pending."""
    signed_urls.verify(res.settings.signing_secret, "upload", ws, asset_id, expires, sig)
    rid = request_id_of(request)
    await _require_pending(res, rid, ws, asset_id)
    stored = await res.objects.put(ws, asset_id, request.stream(), MAX_ASSET_BYTES,
                                   before_commit=lambda: _require_pending(res, rid, ws, asset_id))
    return json_response(ok_body({"id": asset_id, "byte_size": stored.byte_size,
                                  "checksum_sha256": stored.checksum_sha256}, request_id_of(request)))


@router.post("/assets/{asset_id}/complete", operation_id="completeAssetUpload",
             dependencies=[parent_in_workspace("asset_id", "asset", WRITE, readable_at("crm", ASSET.path + "/{id}"))])
async def complete_upload(asset_id: AssetId, body: AssetComplete, request: Request, res: ResourcesDep,
                          principal: Writer) -> Response:
    """Check the uploaded bytes against the declared size and SHA-256; then the asset is available."""
    stored = await res.objects.stat(principal.workspace_id, asset_id)
    data = {"declared": body.model_dump(), "stored": stored.__dict__ if stored else None}
    spec = WriteSpec("crm", ASSET.commands_topic, "asset.complete", ASSET.collection, "asset", present, 200)
    return await execute_write(request, res, principal, spec, asset_id, data, new_resource=False)


@router.get("/assets/{asset_id}", operation_id="getAsset")
async def get_asset(asset_id: AssetId, request: Request, res: ResourcesDep, principal: Reader) -> Response:
    """The asset with a signed, expiring `download_url` once its bytes are available."""
    data = await _asset(res, request_id_of(request), principal.workspace_id, asset_id)
    if data is None:
        raise ApiError("NOT_FOUND", "The asset could not be found.")
    if data.get("status") == "available":
        data["download_url"] = _url(request, res, "download", principal.workspace_id, asset_id)
    return json_response(ok_body(data, request_id_of(request)))


@router.get("/assets/{asset_id}/download", include_in_schema=False)
async def download(asset_id: AssetId, request: Request, res: ResourcesDep, ws: Annotated[str, Query()],
                   expires: Annotated[int, Query()], sig: Annotated[str, Query()]) -> Response:
    signed_urls.verify(res.settings.signing_secret, "download", ws, asset_id, expires, sig)
    doc = await _asset(res, request_id_of(request), ws, asset_id)
    if doc is None or doc.get("status") != "available":
        raise ApiError("NOT_FOUND", "The asset is not available.")
    return await res.objects.response(ws, asset_id, doc.get("mime_type"), doc.get("file_name") or asset_id)

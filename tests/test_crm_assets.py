"""Assets: signed upload URL served by Junction, verified completion, signed download, refusals."""

from __future__ import annotations

import hashlib

import pytest

from tests.api import call

pytestmark = pytest.mark.integration

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


async def test_upload_complete_download_and_refusals(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    intent = {"asset_type": "image", "file_name": "acme-hero.png", "mime_type": "image/png"}
    status, body = await call(http, "POST", f"{base}/v1/assets", key, intent)
    assert status == 201, body
    asset = body["data"]
    assert asset["status"] == "upload_pending" and asset["upload_url"].startswith(base)
    forged = asset["upload_url"].replace("sig=", "sig=x")
    async with http.put(forged, data=PNG) as resp:
        assert resp.status == 403
    status, body = await call(http, "POST", f"{base}/v1/assets/{asset['id']}/complete", key,
                              {"byte_size": len(PNG), "checksum_sha256": hashlib.sha256(PNG).hexdigest()})
    assert status == 422 and "No bytes" in body["error"]["message"]  # nothing uploaded yet
    async with http.put(asset["upload_url"], data=PNG, headers={"Content-Type": "image/png"}) as resp:
        assert resp.status == 200, await resp.text()
    status, body = await call(http, "POST", f"{base}/v1/assets/{asset['id']}/complete", key,
                              {"byte_size": len(PNG), "checksum_sha256": "0" * 64})
    assert status == 422 and body["error"]["details"]["mismatched"] == ["checksum_sha256"]
    status, body = await call(http, "POST", f"{base}/v1/assets/{asset['id']}/complete", key,
                              {"byte_size": len(PNG), "checksum_sha256": hashlib.sha256(PNG).hexdigest()})
    assert status == 200 and body["data"]["status"] == "available"
    status, body = await call(http, "GET", f"{base}/v1/assets/{asset['id']}", key)
    download = body["data"]["download_url"]
    async with http.get(download) as resp:
        assert resp.status == 200 and await resp.read() == PNG
    async with http.get(download.replace("expires=", "expires=1")) as resp:
        assert resp.status == 403
    status, body = await call(http, "GET", f"{base}/v1/assets?status=available&query=acme", key)
    assert [a["id"] for a in body["data"]] == [asset["id"]]
    status, body = await call(http, "DELETE", f"{base}/v1/assets/{asset['id']}", key)
    assert status == 200 and body["data"]["status"] == "archived"
    async with http.get(download) as resp:
        assert resp.status == 404
    status, body = await call(http, "GET", f"{base}/v1/assets?status=archived", key)
    assert [a["id"] for a in body["data"]] == [asset["id"]]

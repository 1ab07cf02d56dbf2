"""Assets: signed upload URL served by Junction, verified completion, signed download, refusals."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import start_gateway
from crm.main import create_spec
from gateway.object_store import signed_urls
from junction_common.service import ServiceRuntime
from tests.api import call

pytestmark = pytest.mark.integration

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
INTENT = {"asset_type": "image", "file_name": "acme-hero.png", "mime_type": "image/png"}


def _expires(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["expires"][0])


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


async def test_a_resumed_intent_answers_the_upload_url_of_its_own_asset(stack_settings, workspace, http):
    """After a 202, the retry with the same Idempotency-Key answers the first asset and a URL signed for it."""
    _, key = workspace
    settings = stack_settings.gateway.model_copy(update={"command_timeout_s": 1.5})
    headers = {"Idempotency-Key": "asset-resume-1"}
    async with start_gateway(settings) as gw:  # no crm service yet: the command waits in Kafka
        status, accepted = await call(http, "POST", f"{gw.url}/v1/assets", key, INTENT, headers)
        assert status == 202, accepted
        asset_id = accepted["data"]["resource_id"]
        runtime = ServiceRuntime(create_spec(), stack_settings.crm)
        await runtime.start()
        try:
            status, body = await call(http, "POST", f"{gw.url}/v1/assets", key, INTENT, headers)
            assert status == 201 and body["data"]["id"] == asset_id, body
            assert urlsplit(body["data"]["upload_url"]).path == f"/v1/assets/{asset_id}/upload"
            async with http.put(body["data"]["upload_url"], data=PNG) as resp:
                assert resp.status == 200, await resp.text()
        finally:
            await runtime.stop()


async def test_a_replayed_intent_carries_a_freshly_signed_upload_url(gateway, crm_service, workspace, http,
                                                                    monkeypatch):
    """The stored answer is replayed with an upload URL signed now, not the one that expired meanwhile."""
    _, key = workspace
    headers = {"Idempotency-Key": "asset-replay-1"}
    status, first = await call(http, "POST", f"{gateway.url}/v1/assets", key, INTENT, headers)
    assert status == 201, first
    # An hour on (for the signer only): the first URL, good for 15 minutes, has expired.
    monkeypatch.setattr(signed_urls, "time", SimpleNamespace(time=lambda: time.time() + 3600))
    async with http.put(first["data"]["upload_url"], data=PNG) as resp:
        assert resp.status == 403
    async with http.post(f"{gateway.url}/v1/assets", json=INTENT,
                         headers={"Authorization": f"Bearer {key}", **headers}) as resp:
        assert resp.status == 201 and resp.headers["Idempotent-Replayed"] == "true"
        replayed = (await resp.json())["data"]
    assert replayed["id"] == first["data"]["id"] and _expires(replayed["upload_url"]) > time.time() + 3600
    async with http.put(replayed["upload_url"], data=PNG) as resp:
        assert resp.status == 200, await resp.text()


async def _slowly(first: bytes, sent: asyncio.Event, gate: asyncio.Event, rest: bytes) -> AsyncIterator[bytes]:
    yield first
    sent.set()
    await gate.wait()
    yield rest


async def test_checked_bytes_are_never_replaced_and_missing_ones_are_404(gateway, crm_service, workspace, http):
    """An upload still running when the asset completes is refused (409) and the checked bytes stay; a later upload
    too; bytes gone from the store download as 404 in the error shape."""
    workspace_id, key = workspace
    base = gateway.url
    status, body = await call(http, "POST", f"{base}/v1/assets", key, INTENT)
    asset = body["data"]
    async with http.put(asset["upload_url"], data=PNG) as resp:
        assert resp.status == 200, await resp.text()
    sent, gate = asyncio.Event(), asyncio.Event()
    late = asyncio.create_task(http.put(asset["upload_url"], data=_slowly(b"evil", sent, gate, b" bytes")))
    await asyncio.wait_for(sent.wait(), 10)
    await asyncio.sleep(0.2)  # the gateway has begun receiving the late upload
    status, body = await call(http, "POST", f"{base}/v1/assets/{asset['id']}/complete", key,
                              {"byte_size": len(PNG), "checksum_sha256": hashlib.sha256(PNG).hexdigest()})
    assert status == 200 and body["data"]["status"] == "available", body
    gate.set()
    async with await late as resp:
        refused = await resp.json()
        assert resp.status == 409 and refused["error"]["code"] == "VALIDATION_ERROR", refused
    async with http.put(asset["upload_url"], data=b"after") as resp:
        assert resp.status == 409 and (await resp.json())["error"]["details"] == {"status": "available"}
    status, body = await call(http, "GET", f"{base}/v1/assets/{asset['id']}", key)
    async with http.get(body["data"]["download_url"]) as resp:
        assert resp.status == 200 and await resp.read() == PNG
    (gateway.settings.home / "objects" / workspace_id / asset["id"]).unlink()
    async with http.get(body["data"]["download_url"]) as resp:
        assert resp.status == 404 and (await resp.json())["error"]["code"] == "NOT_FOUND"

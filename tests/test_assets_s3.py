"""Assets and BI export files in an S3-compatible bucket (JUNCTION_OBJECT_STORE=s3).

S3 is an outside provider here, simulated by a real HTTP server: moto in server mode, in its own process, with IAM
authentication on, so every request Junction sends must carry a valid SigV4 signature by a key whose policy allows
it. The bytes are checked in the bucket through the S3 API (boto3, an independent client), and absent from the
gateway's local folder. One abstract case runs the store contract against both backends.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import pytest_asyncio
from aiohttp import web
from pydantic import SecretStr

from conftest import Stack
from crm_contracts.assets import MAX_ASSET_BYTES
from junction_common.object_store import LocalObjectStore, ObjectStore, S3Config, S3ObjectStore
from junction_common.object_store import s3 as s3_module
from junction_common.object_store.sigv4 import Credentials
from junction_common.testing.infra import free_port
from junction_common.web.envelope import ApiError
from tests.api import call

pytestmark = pytest.mark.integration

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
PAD, HUGE = b" " * (1 << 16), 256 << 20
REGION = "us-east-1"
S3_ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


@dataclass
class S3Server:
    endpoint: str
    bucket: str
    access_key_id: str
    secret_access_key: str

    def client(self) -> Any:
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=self.access_key_id, aws_secret_access_key=self.secret_access_key)

    def keys(self, prefix: str = "") -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(o["Key"] for o in listed.get("Contents", []))


def _wait_for_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, "moto server exited"
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise TimeoutError("moto server did not start")


def _iam_user(endpoint: str) -> tuple[str, str]:
    """A user allowed s3:* and its key: the three requests moto serves before it starts checking signatures."""
    iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="bootstrap",
                       aws_secret_access_key="bootstrap")
    iam.create_user(UserName="junction")
    iam.put_user_policy(UserName="junction", PolicyName="s3", PolicyDocument=json.dumps(S3_ALLOW_ALL))
    key = iam.create_access_key(UserName="junction")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 (python -m moto.server) on a free port, enforcing SigV4 and IAM after three bootstrap requests."""
    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"}
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, proc)
        endpoint = f"http://127.0.0.1:{port}"
        server = S3Server(endpoint, f"junction-{uuid.uuid4().hex[:8]}", *_iam_user(endpoint))
        server.client().create_bucket(Bucket=server.bucket)
        yield server
    finally:
        proc.terminate()
        proc.wait(10)


def s3_config(server: S3Server, prefix: str = "", secret: str | None = None) -> S3Config:
    creds = Credentials(server.access_key_id, secret or server.secret_access_key)
    return S3Config(server.endpoint, server.bucket, REGION, creds, path_style=True, key_prefix=prefix)


@pytest_asyncio.fixture
async def stack_settings(stack_settings: Stack, s3_server: S3Server) -> Stack:
    """The isolated stack, its gateway (asset bytes) and crm (export files) configured for the bucket (keys under
    the test's own prefix)."""
    bucket = {
        "object_store": "s3", "s3_endpoint_url": s3_server.endpoint, "s3_bucket": s3_server.bucket,
        "s3_region": REGION, "s3_access_key_id": s3_server.access_key_id,
        "s3_secret_access_key": SecretStr(s3_server.secret_access_key), "s3_path_style": True,
        "s3_key_prefix": stack_settings.gateway.db_prefix,
    }
    return dataclasses.replace(stack_settings, gateway=stack_settings.gateway.model_copy(update=bucket),
                               crm=stack_settings.crm.model_copy(update=bucket))


async def _oversize() -> AsyncIterator[bytes]:
    block = b"\0" * (1 << 20)
    for _ in range(MAX_ASSET_BYTES // len(block) + 1):
        yield block


async def test_asset_lifecycle_keeps_the_bytes_in_the_bucket(gateway, crm_service, workspace, http, s3_server):
    workspace_id, key = workspace
    base, prefix = gateway.url, gateway.settings.s3_key_prefix
    intent = {"asset_type": "image", "file_name": "acme-hero.png", "mime_type": "image/png"}
    status, body = await call(http, "POST", f"{base}/v1/assets", key, intent)
    assert status == 201, body
    asset = body["data"]
    assert asset["upload_url"].startswith(base)  # Junction's own URL, never the bucket's
    async with http.put(asset["upload_url"].replace("sig=", "sig=x"), data=PNG) as resp:
        assert resp.status == 403
    status, body = await call(http, "POST", f"{base}/v1/assets/{asset['id']}/complete", key,
                              {"byte_size": len(PNG), "checksum_sha256": hashlib.sha256(PNG).hexdigest()})
    assert status == 422 and "No bytes" in body["error"]["message"]
    async with http.put(asset["upload_url"], data=PNG, headers={"Content-Type": "image/png"}) as resp:
        assert resp.status == 200, await resp.text()

    object_key = f"{prefix}{workspace_id}/{asset['id']}"
    assert s3_server.keys(prefix) == [object_key]
    stored = s3_server.client().get_object(Bucket=s3_server.bucket, Key=object_key)
    assert stored["Body"].read() == PNG and stored["Metadata"]["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert not (gateway.settings.home / "objects" / workspace_id / asset["id"]).exists()

    status, body = await call(http, "POST", f"{base}/v1/assets/{asset['id']}/complete", key,
                              {"byte_size": len(PNG), "checksum_sha256": "0" * 64})
    assert status == 422 and body["error"]["details"]["mismatched"] == ["checksum_sha256"]
    status, body = await call(http, "POST", f"{base}/v1/assets/{asset['id']}/complete", key,
                              {"byte_size": len(PNG) + 1, "checksum_sha256": hashlib.sha256(PNG).hexdigest()})
    assert status == 422 and body["error"]["details"]["mismatched"] == ["byte_size"]
    status, body = await call(http, "POST", f"{base}/v1/assets/{asset['id']}/complete", key,
                              {"byte_size": len(PNG), "checksum_sha256": hashlib.sha256(PNG).hexdigest()})
    assert status == 200 and body["data"]["status"] == "available", body

    status, body = await call(http, "GET", f"{base}/v1/assets/{asset['id']}", key)
    download = body["data"]["download_url"]
    assert download.startswith(base)
    async with http.get(download) as resp:
        assert resp.status == 200 and await resp.read() == PNG
        assert resp.headers["Content-Type"] == "image/png" and "acme-hero.png" in resp.headers["Content-Disposition"]
        assert resp.headers["Content-Length"] == str(len(PNG))
    async with http.get(download.replace("expires=", "expires=1")) as resp:
        assert resp.status == 403
    status, body = await call(http, "DELETE", f"{base}/v1/assets/{asset['id']}", key)
    assert status == 200 and body["data"]["status"] == "archived"
    async with http.get(download) as resp:
        assert resp.status == 404


async def test_an_oversize_upload_is_refused_and_nothing_reaches_the_bucket(gateway, crm_service, workspace, http,
                                                                           s3_server):
    _, key = workspace
    intent = {"asset_type": "document", "file_name": "huge.bin", "mime_type": "application/octet-stream"}
    status, body = await call(http, "POST", f"{gateway.url}/v1/assets", key, intent)
    assert status == 201, body
    async with http.put(body["data"]["upload_url"], data=_oversize()) as resp:
        assert resp.status == 413 and "exceeds" in (await resp.json())["error"]["message"]
    assert s3_server.keys(gateway.settings.s3_key_prefix) == []


async def test_bi_export_csv_is_stored_in_the_bucket_and_downloaded_through_junction(gateway, crm_service, workspace,
                                                                                    http, s3_server):
    workspace_id, key = workspace
    base, prefix = gateway.url, gateway.settings.s3_key_prefix
    rows = [{"region": "north", "amount": 10}, {"region": "south", "amount": 32}]
    status, ds = await call(http, "POST", f"{base}/v1/bi/datasets", key, {"name": "Mock", "kind": "mock", "rows": rows})
    assert status == 201, ds
    status, body = await call(http, "POST", f"{base}/v1/bi/exports", key,
                              {"name": "regions", "dataset_id": ds["data"]["id"]})
    assert status == 201 and body["data"]["status"] == "completed", body
    export = body["data"]
    [object_key] = s3_server.keys(prefix)  # each export attempt writes a file of its own, named after the export
    assert object_key.startswith(f"{prefix}{workspace_id}/{export['id']}")
    in_bucket = s3_server.client().get_object(Bucket=s3_server.bucket, Key=object_key)["Body"].read()
    assert hashlib.sha256(in_bucket).hexdigest() == export["checksum_sha256"] and len(in_bucket) == export["byte_size"]
    assert not (gateway.settings.home / "objects" / workspace_id).exists()
    async with http.get(export["download_url"]) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/csv")
        downloaded = await resp.read()
    assert downloaded == in_bucket
    assert sorted(r["region"] for r in csv.DictReader(io.StringIO(downloaded.decode()))) == ["north", "south"]
    async with http.get(export["download_url"].replace("sig=", "sig=x")) as resp:
        assert resp.status == 403


async def test_the_secret_is_never_shown(gateway, s3_server):
    settings = gateway.settings
    for shown in (repr(settings), str(settings), settings.model_dump_json(), repr(S3Config.from_settings(settings))):
        assert s3_server.secret_access_key not in shown


class _Log:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def warning(self, event: str, **fields: Any) -> None:
        self.events.append((event, fields))


async def test_a_wrong_secret_is_refused_by_the_bucket_and_its_code_is_only_logged(s3_server, monkeypatch):
    logged = _Log()
    monkeypatch.setattr(s3_module, "log", logged)
    store = S3ObjectStore(s3_config(s3_server, "wrong-secret/", secret="not-the-secret"))
    try:
        with pytest.raises(ApiError) as refused:
            await store.put("wrk_x", "asset_x", _chunks(PNG), limit=len(PNG))
        assert refused.value.status == 502 and refused.value.code == "INTERNAL_ERROR"
        assert refused.value.details is None and "SignatureDoesNotMatch" not in refused.value.message
        assert logged.events == [("object_store_error", {"op": "put", "status": 403, "code": "SignatureDoesNotMatch"})]
        assert s3_server.keys("wrong-secret/") == []
    finally:
        await store.close()


async def test_only_the_head_of_an_error_answer_is_read():
    """A store answering an error with an endless body costs the gateway a few KB, not the whole body."""
    sent = 0

    async def refuse(request: web.Request) -> web.StreamResponse:
        nonlocal sent
        resp = web.StreamResponse(status=403, headers={"Content-Type": "application/xml"})
        await resp.prepare(request)
        await resp.write(b"<Error><Code>AccessDenied</Code>")
        with contextlib.suppress(ConnectionError):
            for _ in range(HUGE // len(PAD)):
                await resp.write(PAD)
                sent += len(PAD)
        return resp

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", refuse)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    config = S3Config(f"http://127.0.0.1:{port}", "bucket", REGION, Credentials("AKID", "secret"), path_style=True)
    store = S3ObjectStore(config)
    try:
        with pytest.raises(ApiError) as refused:
            await store.put("wrk_x", "asset_x", _chunks(PNG), limit=len(PNG))
        assert refused.value.status == 502 and refused.value.details is None
        await asyncio.sleep(0.5)
        assert sent < HUGE // 2
    finally:
        await store.close()
        await runner.cleanup()


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        await asyncio.sleep(0)
        yield part


@pytest_asyncio.fixture(params=["local", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ObjectStore]:
    if request.param == "local":
        yield LocalObjectStore(tmp_path)
        return
    server: S3Server = request.getfixturevalue("s3_server")
    s3 = S3ObjectStore(s3_config(server, f"contract-{uuid.uuid4().hex[:8]}/"))
    yield s3
    await s3.close()


async def test_store_contract_put_stat_get_delete(store: ObjectStore):
    """Both backends: put answers size and SHA-256, stat agrees, get returns the bytes, delete removes them,
    an oversize put keeps nothing (nor the earlier bytes' replacement), odd object ids are just keys, a download of
    missing bytes is 404 NOT_FOUND."""
    data = b"hello " * 1000
    stored = await store.put("wrk_a", "obj 1+é", _chunks(data[:10], data[10:]), limit=len(data))
    assert stored.byte_size == len(data) and stored.checksum_sha256 == hashlib.sha256(data).hexdigest()
    assert await store.stat("wrk_a", "obj 1+é") == stored
    assert b"".join([c async for c in store.get("wrk_a", "obj 1+é")]) == data
    assert await store.stat("wrk_b", "obj 1+é") is None  # another workspace's key
    with pytest.raises(ApiError) as refused:
        await store.put("wrk_a", "obj 1+é", _chunks(data, b"!"), limit=len(data))
    assert refused.value.status == 413
    assert await store.stat("wrk_a", "obj 1+é") == stored
    empty = await store.put("wrk_a", "empty", _chunks(), limit=10)
    assert empty.byte_size == 0 and await store.stat("wrk_a", "empty") == empty
    await store.delete("wrk_a", "obj 1+é")
    await store.delete("wrk_a", "obj 1+é")  # already gone: not an error
    assert await store.stat("wrk_a", "obj 1+é") is None
    with pytest.raises(FileNotFoundError):
        _ = [c async for c in store.get("wrk_a", "obj 1+é")]
    with pytest.raises(ApiError) as missing:
        await store.response("wrk_a", "obj 1+é", "text/plain", "gone.txt")
    assert missing.value.status == 404 and missing.value.code == "NOT_FOUND"

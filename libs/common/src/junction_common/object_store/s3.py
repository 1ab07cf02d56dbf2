"""An S3-compatible bucket as the object store (AWS S3, MinIO, Ceph, R2, moto...), over aiohttp with SigV4.

Clients never talk to the bucket: they use Junction's signed URLs and the service owning the bytes streams them.
An upload is spooled (at most its size limit; in memory up to 1 MB, then a temporary file) while its size and
SHA-256 are computed, because S3 wants the length and the payload hash before the body; the SHA-256 is kept with
the object (metadata `sha256`) so completion checks need not read the bytes back.
Keys are `<prefix><workspace>/<object>`.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO
from urllib.parse import urlsplit

import aiohttp
from fastapi.responses import Response, StreamingResponse
from yarl import URL

from junction_common.logconfig import get_logger
from junction_common.object_store.intake import receive
from junction_common.object_store.interface import Commit, Stored, disposition
from junction_common.object_store.settings import ObjectStoreSettings
from junction_common.object_store.sigv4 import EMPTY_SHA256, Credentials, Request, sign_s3, uri_encode
from junction_common.web.envelope import ApiError

log = get_logger("junction.object_store")
CHUNK = 1 << 20
META_SHA256 = "x-amz-meta-sha256"
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
ERROR_BODY_LIMIT = 8192


@dataclass(frozen=True)
class S3Config:
    endpoint_url: str
    bucket: str
    region: str
    credentials: Credentials
    path_style: bool = False
    key_prefix: str = ""
    timeout_s: float = 60.0

    @classmethod
    def from_settings(cls, settings: ObjectStoreSettings) -> S3Config:
        creds = Credentials(settings.s3_access_key_id, settings.s3_secret_access_key.get_secret_value())
        endpoint = settings.s3_endpoint_url or f"https://s3.{settings.s3_region}.amazonaws.com"
        return cls(endpoint, settings.s3_bucket, settings.s3_region, creds, settings.s3_path_style,
                   settings.s3_key_prefix, settings.s3_timeout_s)


def _store_error(op: str, status: int, code: str) -> ApiError:
    """The store's own status and code are for the operator's log; the client learns only that storage failed."""
    log.warning("object_store_error", op=op, status=status, code=code)
    return ApiError("INTERNAL_ERROR", "The object store refused the request.", status=502)


async def _error_head(resp: aiohttp.ClientResponse) -> str:
    """At most ERROR_BODY_LIMIT bytes of an error answer: enough for its <Code>, never a whole hostile body."""
    head = b""
    while len(head) < ERROR_BODY_LIMIT and (block := await resp.content.read(ERROR_BODY_LIMIT - len(head))):
        head += block
    return head.decode(errors="replace")


async def _read(spool: IO[bytes]) -> AsyncIterator[bytes]:
    while block := spool.read(CHUNK):
        yield block


async def _body(resp: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    try:
        async for block in resp.content.iter_chunked(CHUNK):
            yield block
    finally:
        resp.release()


class S3ObjectStore:
    backend = "s3"

    def __init__(self, config: S3Config) -> None:
        self.config = config
        self._session: aiohttp.ClientSession | None = None

    def key(self, workspace_id: str, object_id: str) -> str:
        return f"{self.config.key_prefix}{workspace_id}/{object_id}"

    def location(self, key: str) -> tuple[str, str, str]:
        """The URL, Host and (encoded) path of `key`, path-style or virtual-hosted."""
        endpoint = urlsplit(self.config.endpoint_url)
        base = endpoint.path.rstrip("/")
        encoded = "/".join(uri_encode(part) for part in key.split("/"))
        if self.config.path_style:
            host, path = endpoint.netloc, f"{base}/{uri_encode(self.config.bucket)}/{encoded}"
        else:
            host, path = f"{self.config.bucket}.{endpoint.netloc}", f"{base}/{encoded}"
        return f"{endpoint.scheme}://{host}{path}", host, path

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=self.config.timeout_s)
            self._session = aiohttp.ClientSession(timeout=timeout, auto_decompress=False)
        return self._session

    async def _request(self, method: str, key: str, headers: dict[str, str] | None = None,
                       payload_hash: str = EMPTY_SHA256, data: AsyncIterator[bytes] | None = None,
                       length: int | None = None) -> aiohttp.ClientResponse:
        url, host, path = self.location(key)
        request = Request(method, path, [], {"Host": host, **(headers or {})})
        signed = sign_s3(request, payload_hash, self.config.credentials, self.config.region, datetime.now(UTC))
        if length is not None:  # never chunked: S3 wants the length up front
            signed["Content-Length"] = str(length)
        try:
            return await self._http().request(method, URL(url, encoded=True), headers=signed, data=data)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("object_store_unreachable", op=method, error=type(exc).__name__)
            raise ApiError("INTERNAL_ERROR", "The object store could not be reached.", status=502) from exc

    async def _check(self, resp: aiohttp.ClientResponse, op: str) -> None:
        if 200 <= resp.status < 300:
            return
        found = re.search(r"<Code>([^<]{1,100})</Code>", await _error_head(resp))
        raise _store_error(op, resp.status, found.group(1) if found else "")

    async def put(self, workspace_id: str, object_id: str, chunks: AsyncIterator[bytes], limit: int,
                  before_commit: Commit | None = None) -> Stored:
        """Spool and hash the upload (refusing more than `limit` bytes), then PUT it with its SHA-256 as metadata."""
        with tempfile.SpooledTemporaryFile(max_size=CHUNK) as spool:
            stored = await receive(chunks, spool, limit)
            if before_commit is not None:
                await before_commit()
            spool.seek(0)
            headers = {"Content-Type": "application/octet-stream", META_SHA256: stored.checksum_sha256}
            async with await self._request("PUT", self.key(workspace_id, object_id), headers,
                                           stored.checksum_sha256, _read(spool), stored.byte_size) as resp:
                await self._check(resp, "put")
        return stored

    async def stat(self, workspace_id: str, object_id: str) -> Stored | None:
        """Size and SHA-256 from the object's headers; bytes put there by something else are read and hashed."""
        async with await self._request("HEAD", self.key(workspace_id, object_id)) as resp:
            if resp.status == 404:
                return None
            await self._check(resp, "stat")
            size, sha = int(resp.headers.get("Content-Length", "-1")), resp.headers.get(META_SHA256, "")
        if size >= 0 and SHA256_HEX.match(sha):
            return Stored(size, sha)
        return await self._rehash(workspace_id, object_id)

    async def _rehash(self, workspace_id: str, object_id: str) -> Stored:
        digest, size = hashlib.sha256(), 0
        async for block in self.get(workspace_id, object_id):
            digest.update(block)
            size += len(block)
        return Stored(size, digest.hexdigest())

    async def get(self, workspace_id: str, object_id: str) -> AsyncIterator[bytes]:
        resp = await self._open(workspace_id, object_id)
        async for block in _body(resp):
            yield block

    async def _open(self, workspace_id: str, object_id: str) -> aiohttp.ClientResponse:
        resp = await self._request("GET", self.key(workspace_id, object_id))
        if resp.status == 404:
            resp.release()
            raise FileNotFoundError(object_id)
        try:
            await self._check(resp, "get")
        finally:
            if resp.status >= 300:
                resp.release()
        return resp

    async def delete(self, workspace_id: str, object_id: str) -> None:
        async with await self._request("DELETE", self.key(workspace_id, object_id)) as resp:
            if resp.status != 404:
                await self._check(resp, "delete")

    async def response(self, workspace_id: str, object_id: str, media_type: str | None, filename: str) -> Response:
        """Stream the object from the bucket through this service (the bucket stays private)."""
        try:
            resp = await self._open(workspace_id, object_id)
        except FileNotFoundError as exc:
            raise ApiError("NOT_FOUND", "The stored bytes could not be found.") from exc
        headers = {"Content-Disposition": disposition(filename)}
        if "Content-Length" in resp.headers:
            headers["Content-Length"] = resp.headers["Content-Length"]
        return StreamingResponse(_body(resp), media_type=media_type, headers=headers)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

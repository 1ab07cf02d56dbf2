"""The default object store: a folder (JUNCTION_HOME/objects/<workspace>/<object>) on the service's disk."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
from fastapi.responses import Response, StreamingResponse

from junction_common.object_store.intake import receive
from junction_common.object_store.interface import Commit, Stored, disposition
from junction_common.web.envelope import ApiError

CHUNK = 1 << 20


async def _blocks(stream: anyio.AsyncFile[bytes]) -> AsyncIterator[bytes]:
    async with stream:
        while block := await stream.read(CHUNK):
            yield block


class LocalObjectStore:
    backend = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, workspace_id: str, object_id: str) -> Path:
        return self.root / workspace_id / object_id

    async def put(self, workspace_id: str, object_id: str, chunks: AsyncIterator[bytes], limit: int,
                  before_commit: Commit | None = None) -> Stored:
        """Write the bytes to a temporary file of this upload alone, then rename it over the object atomically."""
        target = self.path(workspace_id, object_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Each upload its own temporary name: concurrent uploads never write into one another's bytes.
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
        try:
            with partial.open("wb") as out:
                stored = await receive(chunks, out, limit)
            if before_commit is not None:
                await before_commit()
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        return stored

    async def stat(self, workspace_id: str, object_id: str) -> Stored | None:
        try:
            stream = self.path(workspace_id, object_id).open("rb")
        except FileNotFoundError:
            return None
        with stream:  # size and hash of the one file opened, even if an upload renames another over it meanwhile
            digest = hashlib.sha256()
            for block in iter(lambda: stream.read(CHUNK), b""):
                digest.update(block)
            return Stored(os.fstat(stream.fileno()).st_size, digest.hexdigest())

    async def get(self, workspace_id: str, object_id: str) -> AsyncIterator[bytes]:
        async with await anyio.open_file(self.path(workspace_id, object_id), "rb") as stream:
            while block := await stream.read(CHUNK):
                yield block

    async def delete(self, workspace_id: str, object_id: str) -> None:
        self.path(workspace_id, object_id).unlink(missing_ok=True)

    async def response(self, workspace_id: str, object_id: str, media_type: str | None, filename: str) -> Response:
        """The bytes as a download; missing bytes are 404 NOT_FOUND (the file is opened before answering)."""
        try:
            stream = await anyio.open_file(self.path(workspace_id, object_id), "rb")
        except FileNotFoundError as exc:
            raise ApiError("NOT_FOUND", "The stored bytes could not be found.") from exc
        size = os.fstat(stream.wrapped.fileno()).st_size
        headers = {"Content-Disposition": disposition(filename), "Content-Length": str(size)}
        return StreamingResponse(_blocks(stream), media_type=media_type, headers=headers)

    async def close(self) -> None:
        return None

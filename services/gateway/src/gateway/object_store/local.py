"""The default object store: a folder (JUNCTION_HOME/objects/<workspace>/<object>) on the gateway's disk."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
from fastapi.responses import FileResponse, Response

from gateway.object_store.intake import receive
from gateway.object_store.interface import Stored

CHUNK = 1 << 20


class LocalObjectStore:
    backend = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, workspace_id: str, object_id: str) -> Path:
        return self.root / workspace_id / object_id

    async def put(self, workspace_id: str, object_id: str, chunks: AsyncIterator[bytes], limit: int) -> Stored:
        """Write the bytes atomically, via a temporary file; refuse more than `limit` bytes."""
        target = self.path(workspace_id, object_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        try:
            with partial.open("wb") as out:
                stored = await receive(chunks, out, limit)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(target)
        return stored

    async def stat(self, workspace_id: str, object_id: str) -> Stored | None:
        target = self.path(workspace_id, object_id)
        if not target.exists():
            return None
        digest = hashlib.sha256()
        with target.open("rb") as stream:
            for block in iter(lambda: stream.read(CHUNK), b""):
                digest.update(block)
        return Stored(target.stat().st_size, digest.hexdigest())

    async def get(self, workspace_id: str, object_id: str) -> AsyncIterator[bytes]:
        async with await anyio.open_file(self.path(workspace_id, object_id), "rb") as stream:
            while block := await stream.read(CHUNK):
                yield block

    async def delete(self, workspace_id: str, object_id: str) -> None:
        self.path(workspace_id, object_id).unlink(missing_ok=True)

    async def response(self, workspace_id: str, object_id: str, media_type: str | None, filename: str) -> Response:
        return FileResponse(self.path(workspace_id, object_id), media_type=media_type, filename=filename)

    async def close(self) -> None:
        return None

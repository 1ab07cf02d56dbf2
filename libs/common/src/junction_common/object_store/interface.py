"""What every object store offers its service: bytes kept per workspace and object id, with their size and SHA-256."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

from fastapi.responses import Response

# Called once all the bytes were received and before they replace the object's; raising keeps nothing.
Commit = Callable[[], Awaitable[None]]


def disposition(filename: str) -> str:
    """Content-Disposition of a download named `filename` (RFC 6266/5987 when it is not plain ASCII)."""
    quoted = quote(filename)
    return f"attachment; filename*=utf-8''{quoted}" if quoted != filename else f'attachment; filename="{filename}"'


@dataclass(frozen=True)
class Stored:
    byte_size: int
    checksum_sha256: str


class ObjectStore(Protocol):
    backend: str

    async def put(self, workspace_id: str, object_id: str, chunks: AsyncIterator[bytes], limit: int,
                  before_commit: Commit | None = None) -> Stored:
        """Keep the bytes (replacing earlier ones, atomically); more than `limit` bytes are refused (413) and nothing
        is kept; `before_commit` may still refuse them once received."""
        ...

    async def stat(self, workspace_id: str, object_id: str) -> Stored | None:
        """The size and SHA-256 of the stored bytes, None when there are none."""
        ...

    def get(self, workspace_id: str, object_id: str) -> AsyncIterator[bytes]:
        """The stored bytes in chunks (raises FileNotFoundError when there are none)."""
        ...

    async def delete(self, workspace_id: str, object_id: str) -> None:
        """Remove the bytes; removing what is not there is not an error."""
        ...

    async def response(self, workspace_id: str, object_id: str, media_type: str | None, filename: str) -> Response:
        """The bytes as an HTTP download (attachment named `filename`); none stored is 404 NOT_FOUND."""
        ...

    async def close(self) -> None: ...

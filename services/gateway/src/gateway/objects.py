"""Object storage for asset bytes (a folder under JUNCTION_HOME by default) and signed, expiring URLs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from gateway.responses import ApiError


@dataclass(frozen=True)
class Stored:
    byte_size: int
    checksum_sha256: str


def sign(secret: str, action: str, workspace_id: str, asset_id: str, expires: int) -> str:
    message = f"{action}:{workspace_id}:{asset_id}:{expires}".encode()
    return base64.urlsafe_b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode().rstrip("=")


def signed_query(secret: str, action: str, workspace_id: str, asset_id: str, ttl_s: int) -> str:
    expires = int(time.time()) + ttl_s
    return f"ws={workspace_id}&expires={expires}&sig={sign(secret, action, workspace_id, asset_id, expires)}"


def verify(secret: str, action: str, workspace_id: str, asset_id: str, expires: int, sig: str) -> None:
    """A forged or expired URL is refused (403, documented error shape)."""
    good = sign(secret, action, workspace_id, asset_id, expires)
    if not hmac.compare_digest(good, sig):
        raise ApiError("FORBIDDEN", "The signed URL is invalid.")
    if expires < time.time():
        raise ApiError("FORBIDDEN", "The signed URL has expired.")


class LocalObjectStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, workspace_id: str, asset_id: str) -> Path:
        return self.root / workspace_id / asset_id

    async def put(self, workspace_id: str, asset_id: str, chunks: AsyncIterator[bytes], limit: int) -> Stored:
        """Write the bytes (atomically, via a temporary file); refuse more than `limit` bytes."""
        target = self.path(workspace_id, asset_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        digest, size = hashlib.sha256(), 0
        with partial.open("wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    out.close()
                    partial.unlink(missing_ok=True)
                    raise ApiError("VALIDATION_ERROR", f"The upload exceeds {limit} bytes.", status=413)
                digest.update(chunk)
                out.write(chunk)
        partial.replace(target)
        return Stored(size, digest.hexdigest())

    async def stat(self, workspace_id: str, asset_id: str) -> Stored | None:
        target = self.path(workspace_id, asset_id)
        if not target.exists():
            return None
        digest = hashlib.sha256()
        with target.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        return Stored(target.stat().st_size, digest.hexdigest())

"""Receiving an upload: counting and hashing the bytes as they arrive, refusing more than the limit."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import IO

from junction_common.object_store.interface import Stored
from junction_common.web.envelope import ApiError


def too_large(limit: int) -> ApiError:
    return ApiError("VALIDATION_ERROR", f"The upload exceeds {limit} bytes.", status=413)


async def receive(chunks: AsyncIterator[bytes], out: IO[bytes], limit: int) -> Stored:
    """Write the chunks to `out`; raise 413 as soon as they pass `limit` bytes."""
    digest, size = hashlib.sha256(), 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        digest.update(chunk)
        out.write(chunk)
    return Stored(size, digest.hexdigest())

"""The local folder store: every upload writes its own temporary file and replaces the object atomically, a refusal
before the commit keeps the earlier bytes, and missing bytes download as 404 in the error shape."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from junction_common.object_store import LocalObjectStore
from junction_common.web.envelope import ApiError

A, B = b"a" * 4096, b"b" * 4096


async def _gated(first: bytes, gate: asyncio.Event, rest: bytes) -> AsyncIterator[bytes]:
    yield first
    await gate.wait()
    yield rest


async def test_concurrent_uploads_never_mix_their_bytes(tmp_path: Path):
    store = LocalObjectStore(tmp_path)
    gate_a, gate_b = asyncio.Event(), asyncio.Event()
    upload_a = asyncio.create_task(store.put("wrk_a", "asset_1", _gated(A, gate_a, A), limit=1 << 20))
    await asyncio.sleep(0.01)
    upload_b = asyncio.create_task(store.put("wrk_a", "asset_1", _gated(B, gate_b, B), limit=1 << 20))
    await asyncio.sleep(0.01)
    gate_a.set()
    stored_a = await upload_a
    gate_b.set()
    stored_b = await upload_b
    kept = store.path("wrk_a", "asset_1").read_bytes()
    assert kept == B + B and stored_b.checksum_sha256 == hashlib.sha256(kept).hexdigest()
    assert stored_a.checksum_sha256 == hashlib.sha256(A + A).hexdigest()
    assert await store.stat("wrk_a", "asset_1") == stored_b
    assert [p.name for p in (tmp_path / "wrk_a").iterdir()] == ["asset_1"]  # no temporary file left behind


async def test_a_refusal_before_the_commit_keeps_the_earlier_bytes(tmp_path: Path):
    store = LocalObjectStore(tmp_path)
    earlier = await store.put("wrk_a", "asset_1", _once(A), 1 << 20)

    async def refuse() -> None:
        raise ApiError("VALIDATION_ERROR", "The asset no longer accepts an upload.", status=409)

    with pytest.raises(ApiError) as refused:
        await store.put("wrk_a", "asset_1", _once(B), 1 << 20, before_commit=refuse)
    assert refused.value.status == 409
    assert store.path("wrk_a", "asset_1").read_bytes() == A and await store.stat("wrk_a", "asset_1") == earlier
    assert [p.name for p in (tmp_path / "wrk_a").iterdir()] == ["asset_1"]


async def test_missing_bytes_download_as_not_found(tmp_path: Path):
    store = LocalObjectStore(tmp_path)
    with pytest.raises(ApiError) as missing:
        await store.response("wrk_a", "asset_gone", "image/png", "gone.png")
    assert missing.value.status == 404 and missing.value.code == "NOT_FOUND"


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data

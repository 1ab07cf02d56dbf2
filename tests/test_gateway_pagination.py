"""Cursor pagination stays stable while items are inserted: no item skipped or repeated."""

from __future__ import annotations

import asyncio

import pytest

pytestmark = pytest.mark.integration


async def create_many(http, url, headers, names, concurrency=16):
    sem = asyncio.Semaphore(concurrency)
    ids = []

    async def one(name):
        async with sem, http.post(url, json={"name": name}, headers=headers) as resp:
            assert resp.status == 201
            ids.append((await resp.json())["data"]["id"])

    await asyncio.gather(*(one(n) for n in names))
    return ids


async def test_250_items_paged_at_7_while_50_more_arrive(gateway, crm_service, workspace, http):
    _, key = workspace
    headers = {"Authorization": f"Bearer {key}"}
    url = f"{gateway.url}/v1/contacts"
    originals = set(await create_many(http, url, headers, [f"Original {i}" for i in range(250)]))
    inserting = asyncio.create_task(create_many(http, url, headers, [f"Late {i}" for i in range(50)], 2))
    seen: list[str] = []
    cursor = None
    while True:
        page_url = f"{url}?limit=7" + (f"&cursor={cursor}" if cursor else "")
        async with http.get(page_url, headers=headers) as resp:
            page = await resp.json()
        assert resp.status == 200 and len(page["data"]) <= 7
        seen += [c["id"] for c in page["data"]]
        cursor = page["next_cursor"]
        await asyncio.sleep(0.01)
        if not cursor:
            break
    await inserting
    assert len(seen) == len(set(seen))  # nothing repeated
    assert originals <= set(seen)  # nothing skipped
    assert sum(1 for s in seen if s in originals) == 250

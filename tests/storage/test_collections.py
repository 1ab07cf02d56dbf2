"""Collections: create, list, drop, rename, and the projection swap built from them."""

from __future__ import annotations

import pytest
from pymongo.errors import BulkWriteError

from junction_common.projections.rebuild import live_ids, swap_collections

pytestmark = pytest.mark.integration


async def test_collections_are_created_by_a_write_listed_and_dropped(db):
    await db.a.insert_one({"_id": 1})
    await db.b.create_index("k")
    assert {"a", "b"} <= set(await db.list_collection_names())
    await db.drop_collection("a")
    assert "a" not in await db.list_collection_names()
    assert await db.a.count_documents({}) == 0
    await db.drop_collection("never_existed")  # dropping what is not there is no error


async def test_rename_to_a_new_name_keeps_every_document(db, server):
    await db.src.insert_many([{"_id": f"d{i}", "n": i} for i in range(50)])
    await db.src.create_index("n")
    with server.unless_quirk("rename"):
        await db.src.rename("dst")
        assert await db.dst.count_documents({}) == 50
        assert await db.dst.find_one({"n": 7}) == {"_id": "d7", "n": 7}
        assert "src" not in await db.list_collection_names()


async def test_rename_with_drop_target_replaces_the_target(db, server):
    """Not used by Junction any more (the swap merges instead); pinned to name the servers that lack it."""
    await db.src.insert_many([{"_id": f"d{i}"} for i in range(5)])
    await db.dst.insert_many([{"_id": "old"}])
    with server.unless_quirk("rename"), server.unless_quirk("rename_drop_target"):
        await db.src.rename("dst", dropTarget=True)
        assert sorted([d["_id"] async for d in db.dst.find()]) == [f"d{i}" for i in range(5)]


async def test_the_swap_primitives(db):
    """What a copy-based swap needs: read a whole collection, unordered insert that keeps what exists,
    drop the source."""
    await db.live.insert_many([{"_id": "a", "v": "live"}])
    await db.staging.insert_many([{"_id": "a", "v": "rebuilt"}, {"_id": "b", "v": "rebuilt"}])
    docs = await db.staging.find().to_list()
    with pytest.raises(BulkWriteError):
        await db.live.insert_many(docs, ordered=False)
    await db.drop_collection("staging")
    assert {d["_id"]: d["v"] async for d in db.live.find()} == {"a": "live", "b": "rebuilt"}
    assert "staging" not in await db.list_collection_names()


async def test_swap_collections_makes_the_rebuild_live(db):
    live = [{"_id": f"d{i:03}", "_version": 1, "v": "old"} for i in range(30)]
    await db.live.insert_many([*live, {"_id": "stale", "_version": 1, "v": "no event made this"}])
    await db.live.replace_one({"_id": "d004"}, {"_id": "d004", "_version": 5, "v": "newer live"})
    before = await live_ids(db, "live")
    await db.staging.insert_many([{"_id": f"d{i:03}", "_version": 2, "v": "new"} for i in range(30)])
    await db.staging.insert_one({"_id": "fresh", "_version": 1, "v": "new"})

    report = await swap_collections(db, "staging", "live", before)

    final = {d["_id"]: (d["_version"], d["v"]) async for d in db.live.find()}
    assert final.pop("d004") == (5, "newer live")
    assert final == {**{f"d{i:03}": (2, "new") for i in range(30) if i != 4}, "fresh": (1, "new")}
    assert report.deleted == 1
    assert "staging" not in await db.list_collection_names()

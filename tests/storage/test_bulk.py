"""Bulk writes with partial failure: which documents landed, and what the error reports."""

from __future__ import annotations

import pytest
from pymongo import InsertOne, ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError

pytestmark = pytest.mark.integration

DUPLICATE_KEY = 11000


async def _ids(db) -> list[str]:
    return [d["_id"] async for d in db.c.find().sort("_id", 1)]


async def test_ordered_insert_many_stops_at_the_first_failure(db):
    await db.c.insert_one({"_id": "c"})
    with pytest.raises(BulkWriteError) as err:
        await db.c.insert_many([{"_id": "a"}, {"_id": "b"}, {"_id": "c"}, {"_id": "d"}, {"_id": "c"}], ordered=True)
    details = err.value.details
    assert await _ids(db) == ["a", "b", "c"]
    assert details["nInserted"] == 2
    assert [(e["index"], e["code"]) for e in details["writeErrors"]] == [(2, DUPLICATE_KEY)]


async def test_unordered_insert_many_writes_every_other_document(db):
    """The projection swap's copy and the webhook delivery batches: a duplicate never blocks the rest."""
    await db.c.insert_one({"_id": "c"})
    with pytest.raises(BulkWriteError) as err:
        await db.c.insert_many([{"_id": "a"}, {"_id": "c"}, {"_id": "b"}, {"_id": "a"}, {"_id": "d"}], ordered=False)
    details = err.value.details
    assert await _ids(db) == ["a", "b", "c", "d"]
    assert details["nInserted"] == 3
    assert sorted((e["index"], e["code"]) for e in details["writeErrors"]) == [(1, DUPLICATE_KEY), (3, DUPLICATE_KEY)]


async def test_unordered_insert_many_without_failures_returns_every_id(db):
    result = await db.c.insert_many([{"_id": f"k{i:03}"} for i in range(250)], ordered=False)
    assert len(result.inserted_ids) == 250
    assert await db.c.count_documents({}) == 250


async def test_unordered_bulk_write_of_mixed_operations_with_a_failure(db):
    """A batch of delivery inserts, guarded updates and replacements: one failing op costs only itself."""
    await db.c.insert_many([{"_id": "old", "status": "pending", "n": 0}, {"_id": "gone", "status": "cancelled"}])
    ops = [
        InsertOne({"_id": "new1"}),
        InsertOne({"_id": "old"}),  # exists
        UpdateOne({"_id": "old", "status": {"$ne": "cancelled"}}, {"$set": {"n": 1}}),
        UpdateOne({"_id": "gone", "status": {"$ne": "cancelled"}}, {"$set": {"n": 1}}),  # guard fails: no match
        ReplaceOne({"_id": "old", "status": "pending"}, {"_id": "old", "status": "succeeded", "n": 2}),
        InsertOne({"_id": "new2"}),
    ]
    with pytest.raises(BulkWriteError) as err:
        await db.c.bulk_write(ops, ordered=False)
    details = err.value.details
    assert [(e["index"], e["code"]) for e in details["writeErrors"]] == [(1, DUPLICATE_KEY)]
    assert (details["nInserted"], details["nMatched"], details["nModified"]) == (2, 2, 2)
    assert await db.c.find_one({"_id": "old"}) == {"_id": "old", "status": "succeeded", "n": 2}
    assert (await db.c.find_one({"_id": "gone"})).get("n") is None
    assert await _ids(db) == ["gone", "new1", "new2", "old"]


async def test_ordered_bulk_write_stops_at_the_first_failure(db):
    await db.c.insert_one({"_id": "x", "n": 0})
    ops = [UpdateOne({"_id": "x"}, {"$set": {"n": 1}}), InsertOne({"_id": "x"}),
           UpdateOne({"_id": "x"}, {"$set": {"n": 2}})]
    with pytest.raises(BulkWriteError) as err:
        await db.c.bulk_write(ops, ordered=True)
    assert [(e["index"], e["code"]) for e in err.value.details["writeErrors"]] == [(1, DUPLICATE_KEY)]
    assert (await db.c.find_one({"_id": "x"}))["n"] == 1


async def test_guarded_replace_upserts_keep_newer_documents(db):
    """The projection swap: each rebuilt document replaces a live one at the same or an older version,
    inserts where none is live, and meets a duplicate key where the live one is newer."""
    await db.c.insert_many([{"_id": "older", "_version": 1}, {"_id": "same", "_version": 2, "v": "live"},
                            {"_id": "newer", "_version": 9}])
    rebuilt = [{"_id": "older", "_version": 2}, {"_id": "same", "_version": 2, "v": "rebuilt"},
               {"_id": "newer", "_version": 3}, {"_id": "missing", "_version": 1}]
    ops = [ReplaceOne({"_id": d["_id"], "_version": {"$lte": d["_version"]}}, d, upsert=True) for d in rebuilt]
    with pytest.raises(BulkWriteError) as err:
        await db.c.bulk_write(ops, ordered=False)
    details = err.value.details
    assert [(e["index"], e["code"]) for e in details["writeErrors"]] == [(2, DUPLICATE_KEY)]
    assert (details["nModified"], details["nUpserted"]) == (2, 1)
    assert {d["_id"]: d["_version"] async for d in db.c.find()} == {"older": 2, "same": 2, "newer": 9, "missing": 1}
    assert (await db.c.find_one({"_id": "same"}))["v"] == "rebuilt"

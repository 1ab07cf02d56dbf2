"""Queries and updates as Junction's code writes them: sorts, `$in`, counts, filters, projections."""

from __future__ import annotations

import pytest
from pymongo import ASCENDING, DESCENDING, ReturnDocument

pytestmark = pytest.mark.integration


async def _ids(cursor) -> list:
    return [d["_id"] async for d in cursor]


async def test_sort_on_compound_keys(db):
    """The outbox relay sorts unpublished commits by (stream_id, base_version)."""
    docs = [{"_id": f"{s}@{v}", "stream_id": s, "base_version": v, "published": False}
            for v in (2, 0, 1) for s in ("s2", "s10", "s1")]
    await db.c.insert_many(docs)
    got = await _ids(db.c.find({"published": False}).sort([("stream_id", ASCENDING), ("base_version", ASCENDING)]))
    assert got == [f"{s}@{v}" for s in ("s1", "s10", "s2") for v in (0, 1, 2)]
    mixed = db.c.find().sort([("base_version", DESCENDING), ("stream_id", ASCENDING)]).skip(2).limit(4)
    assert await _ids(mixed) == ["s2@2", "s1@1", "s10@1", "s2@1"]


async def test_sort_by_id_descending_with_limit(db):
    await db.c.insert_many([{"_id": f"con_{i:03}", "workspace_id": "w"} for i in range(30)])
    got = await _ids(db.c.find({"workspace_id": "w", "_id": {"$lt": "con_020"}}).sort("_id", -1).limit(5))
    assert got == ["con_019", "con_018", "con_017", "con_016", "con_015"]


async def test_update_many_with_in_on_id(db):
    """The relay marks a batch of commits published by `_id $in`."""
    await db.c.insert_many([{"_id": f"s@{i}", "published": False} for i in range(10)])
    result = await db.c.update_many({"_id": {"$in": ["s@1", "s@3", "s@5", "nope"]}}, {"$set": {"published": True}})
    assert (result.matched_count, result.modified_count) == (3, 3)
    assert await _ids(db.c.find({"published": True}).sort("_id", 1)) == ["s@1", "s@3", "s@5"]
    again = await db.c.update_many({"_id": {"$in": ["s@1", "s@3"]}}, {"$set": {"published": True}})
    assert again.matched_count == 2


async def _claim_due(coll, make_id) -> list:
    """A webhook delivery claim: `_id $in`, a status `$in` and a lease that ended."""
    await coll.insert_many([{"_id": make_id(i), "status": "pending" if i % 2 else "succeeded",
                             "lease_until": float(i)} for i in range(10)])
    query = {"_id": {"$in": [make_id(i) for i in (1, 2, 3, 7, 9)]}, "status": {"$in": ["pending", "retrying"]},
             "lease_until": {"$lt": 8.0}}
    result = await coll.update_many(query, {"$set": {"lease_until": 100.0}})
    assert result.modified_count == 3
    return await _ids(coll.find({"lease_until": 100.0}).sort("lease_until", 1))


async def test_in_combined_with_other_conditions(db):
    assert sorted(await _claim_due(db.c, lambda i: f"dlv_{i}")) == ["dlv_1", "dlv_3", "dlv_7"]


async def test_in_combined_with_other_conditions_on_integer_ids(db, server):
    """Junction's ids are strings; integer ids are pinned only to name the quirk."""
    with server.unless_quirk("integer_id_update"):
        assert sorted(await _claim_due(db.c, lambda i: i)) == [1, 3, 7]


async def test_counts(db):
    await db.c.insert_many([{"_id": i, "role": "OWNER" if i < 3 else "MEMBER", "archived": i == 5} for i in range(12)])
    assert await db.c.count_documents({}) == 12
    assert await db.c.count_documents({"role": "OWNER"}) == 3
    assert await db.c.count_documents({"archived": {"$ne": True}, "role": "MEMBER"}) == 8
    await db.c.delete_many({"_id": {"$in": [0, 1, 11]}})
    assert await db.c.count_documents({}) == 9
    assert await db.c.count_documents({"role": "OWNER"}) == 1
    assert await db.empty.count_documents({}) == 0


async def test_ne_nin_and_exists_in_queries(db):
    """`archived: {$ne: true}` must also find records that never had the field."""
    await db.c.insert_many([{"_id": 1, "archived": True}, {"_id": 2, "archived": False}, {"_id": 3},
                            {"_id": 4, "custom_fields": {"tier": "gold"}}])
    assert await _ids(db.c.find({"archived": {"$ne": True}}).sort("_id", 1)) == [2, 3, 4]
    assert await _ids(db.c.find({"_id": {"$nin": [1, 2]}}).sort("_id", 1)) == [3, 4]
    assert await _ids(db.c.find({"custom_fields.tier": {"$exists": True}})) == [4]
    assert await _ids(db.c.find({"custom_fields.tier": "gold"})) == [4]


async def test_update_filtered_with_ne_on_a_present_field(db):
    """A delivery's result is written unless it was cancelled meanwhile."""
    await db.c.insert_many([{"_id": 1, "status": "cancelled"}, {"_id": 2, "status": "pending"}])
    assert (await db.c.update_one({"_id": 1, "status": {"$ne": "cancelled"}}, {"$set": {"x": 1}})).matched_count == 0
    assert (await db.c.update_one({"_id": 2, "status": {"$ne": "cancelled"}}, {"$set": {"x": 1}})).matched_count == 1


async def test_update_filtered_with_ne_matches_a_document_lacking_the_field(db, server):
    await db.c.insert_many([{"_id": "a", "archived": True}, {"_id": "b", "archived": False}, {"_id": "c"}])
    with server.unless_quirk("update_ne_missing_field"):
        result = await db.c.update_many({"archived": {"$ne": True}}, {"$set": {"seen": 1}})
        assert result.matched_count == 2
        assert await _ids(db.c.find({"seen": 1}).sort("_id", 1)) == ["b", "c"]


async def test_regex_or_and_case_insensitive(db):
    """Listing search: every term must prefix a word of one of the fields, in any case."""
    await db.c.insert_many([{"_id": 1, "name": "Ada Lovelace", "email": "ada@x.io"},
                            {"_id": 2, "name": "Alan Turing", "email": "alan@x.io"},
                            {"_id": 3, "name": "Grace Hopper", "email": "grace@ADA.org"}])

    def term(t: str) -> dict:
        pattern = r"(^|[^0-9a-z])" + t
        return {"$or": [{f: {"$regex": pattern, "$options": "i"}} for f in ("name", "email")]}

    assert await _ids(db.c.find({"$and": [term("ada")]}).sort("_id", 1)) == [1, 3]
    assert await _ids(db.c.find({"$and": [term("ada"), term("love")]})) == [1]


async def test_projections_include_and_exclude(db):
    await db.c.insert_one({"_id": "k1", "workspace_id": "w", "key_hash": "secret", "name": "n"})
    assert await db.c.find_one({"_id": "k1"}, {"_id": 1}) == {"_id": "k1"}
    assert await db.c.find_one({"_id": "k1"}, {"key_hash": 0}) == {"_id": "k1", "workspace_id": "w", "name": "n"}
    assert await db.c.find_one({"_id": "k1"}, {"workspace_id": 1}) == {"_id": "k1", "workspace_id": "w"}


async def test_counter_upsert_with_inc_returns_the_new_value(db):
    """The rate limiter's window counter."""
    values = [await db.c.find_one_and_update({"_id": "w:m:1"}, {"$inc": {"n": 1}}, upsert=True,
                                             return_document=ReturnDocument.AFTER) for _ in range(3)]
    assert [v["n"] for v in values] == [1, 2, 3]


async def test_find_one_and_update_upsert_sets_on_insert_only(db, server):
    with server.unless_quirk("find_one_and_update_set_on_insert"):
        first = await db.c.find_one_and_update({"_id": "k"}, {"$inc": {"n": 1}, "$setOnInsert": {"ttl": 60}},
                                               upsert=True, return_document=ReturnDocument.AFTER)
        second = await db.c.find_one_and_update({"_id": "k"}, {"$inc": {"n": 1}, "$setOnInsert": {"ttl": 99}},
                                                upsert=True, return_document=ReturnDocument.AFTER)
        assert first == {"_id": "k", "n": 1, "ttl": 60}
        assert second == {"_id": "k", "n": 2, "ttl": 60}


async def test_max_and_set_upsert(db):
    """A projection's recorded position only moves forward."""
    for offset in (5, 3, 9, 7):
        await db.c.update_one({"_id": "p"}, {"$max": {"offset": offset}, "$set": {"projection": "x"}}, upsert=True)
    assert await db.c.find_one({"_id": "p"}) == {"_id": "p", "offset": 9, "projection": "x"}


async def test_delete_one_guarded_by_another_field(db):
    """An idempotency claim is released only while still in flight."""
    await db.c.insert_one({"_id": "w:key", "state": "done"})
    assert (await db.c.delete_one({"_id": "w:key", "state": "in_flight"})).deleted_count == 0
    assert (await db.c.delete_one({"_id": "w:key", "state": "done"})).deleted_count == 1


async def test_replace_upsert_takes_the_filters_id(db, server):
    with server.unless_quirk("replace_upsert_id"):
        await db.c.replace_one({"_id": "x"}, {"v": 1}, upsert=True)
        assert await db.c.find_one({"v": 1}) == {"_id": "x", "v": 1}


async def test_push_and_add_to_set_keep_documents(db, server):
    await db.c.insert_one({"_id": 1, "items": []})
    with server.unless_quirk("push_document"):
        await db.c.update_one({"_id": 1}, {"$push": {"items": {"a": 1}}})
        await db.c.update_one({"_id": 1}, {"$addToSet": {"items": {"b": 2}}})
        assert (await db.c.find_one({"_id": 1}))["items"] == [{"a": 1}, {"b": 2}]

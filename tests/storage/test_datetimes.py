"""Datetimes: written as datetimes, read back as timezone-aware UTC datetimes at millisecond precision.

Junction's client is `tz_aware=True` (junction_common.mongo.create_client); BSON keeps milliseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pymongo import ReturnDocument

pytestmark = pytest.mark.integration

AT = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
AT_MS = AT.replace(microsecond=123000)


def assert_datetime(value: object) -> None:
    assert isinstance(value, datetime), f"read back as {type(value).__name__}: {value!r}"
    assert value == AT_MS and value.utcoffset() == timedelta(0)


async def test_inserted_and_replaced_datetimes_round_trip_at_milliseconds(db):
    await db.c.insert_one({"_id": "i", "at": AT, "nested": {"at": AT}, "list": [AT]})
    doc = await db.c.find_one({"_id": "i"})
    assert_datetime(doc["at"])
    assert_datetime(doc["nested"]["at"])
    assert_datetime(doc["list"][0])
    await db.c.replace_one({"_id": "i"}, {"at": AT, "v": 2})
    assert_datetime((await db.c.find_one({"_id": "i"}))["at"])
    await db.c.insert_many([{"_id": "m1", "at": AT}, {"_id": "m2", "at": AT}])
    assert_datetime((await db.c.find_one({"_id": "m2"}))["at"])


async def test_set_on_insert_keeps_a_datetime(db):
    """How command outcomes and rate-limit windows are first written."""
    await db.c.update_one({"_id": "o"}, {"$setOnInsert": {"completed_at": AT}}, upsert=True)
    assert_datetime((await db.c.find_one({"_id": "o"}))["completed_at"])
    await db.c.update_one({"_id": "o"}, {"$setOnInsert": {"completed_at": AT + timedelta(days=1)}}, upsert=True)
    assert_datetime((await db.c.find_one({"_id": "o"}))["completed_at"])


async def test_set_in_an_upsert_that_inserts_keeps_a_datetime(db):
    await db.c.update_one({"_id": "h"}, {"$set": {"failing_since": AT}}, upsert=True)
    assert_datetime((await db.c.find_one({"_id": "h"}))["failing_since"])


async def test_set_on_an_existing_document_keeps_a_datetime(db, server):
    await db.c.insert_many([{"_id": "a", "n": 1}, {"_id": "b", "n": 1}])
    with server.unless_quirk("datetime_via_set"):
        await db.c.update_one({"_id": "a"}, {"$set": {"claimed_at": AT}})
        assert_datetime((await db.c.find_one({"_id": "a"}))["claimed_at"])
        await db.c.update_many({"_id": {"$in": ["b"]}}, {"$set": {"lease_until": AT}})
        assert_datetime((await db.c.find_one({"_id": "b"}))["lease_until"])
        doc = await db.c.find_one_and_update({"_id": "a"}, {"$set": {"seen_at": AT}},
                                             return_document=ReturnDocument.AFTER)
        assert_datetime(doc["seen_at"])


async def test_a_datetime_read_back_matches_itself_as_a_filter(db):
    """An idempotency record is taken over only if its claim time is still the one read."""
    await db.c.insert_one({"_id": "k", "claimed_at": AT})
    read = (await db.c.find_one({"_id": "k"}))["claimed_at"]
    assert (await db.c.update_one({"_id": "k", "claimed_at": read}, {"$set": {"n": 1}})).matched_count == 1
    assert await db.c.count_documents({"claimed_at": AT}) == 1  # the query value is truncated alike


async def test_sort_by_datetime_at_milliseconds(db):
    base = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
    offsets = [1001, 0, 999, 1, 60000, 1000]
    await db.c.insert_many([{"_id": f"d{i}", "at": base + timedelta(milliseconds=ms)} for i, ms in enumerate(offsets)])
    got = [d["_id"] async for d in db.c.find().sort("at", 1)]
    assert got == [f"d{i}" for i, _ in sorted(enumerate(offsets), key=lambda p: p[1])]


async def test_datetime_ranges_at_milliseconds(db, server):
    base = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
    await db.c.insert_many([{"_id": f"d{ms:05}", "at": base + timedelta(milliseconds=ms)}
                            for ms in (0, 1, 999, 1000, 1001, 1500, 60000)])

    async def ids(query: dict) -> list[str]:
        return [d["_id"] async for d in db.c.find({"at": query}).sort("_id", 1)]

    with server.unless_quirk("datetime_range"):
        assert await ids({"$lt": base + timedelta(milliseconds=999)}) == ["d00000", "d00001"]
        assert await ids({"$lte": base + timedelta(milliseconds=1000)}) == ["d00000", "d00001", "d00999", "d01000"]
        assert await ids({"$gt": base + timedelta(milliseconds=1000)}) == ["d01001", "d01500", "d60000"]
        assert await ids({"$gte": base + timedelta(milliseconds=1, microseconds=900)}) == [
            "d00001", "d00999", "d01000", "d01001", "d01500", "d60000"]


async def test_datetime_ranges_a_second_apart(db):
    """What the sweepers rely on (they keep a one-second margin)."""
    base = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
    await db.c.insert_many([{"_id": f"s{s}", "expires_at": base + timedelta(seconds=s)} for s in range(5)])
    gone = await db.c.delete_many({"expires_at": {"$lt": base + timedelta(seconds=2)}})
    assert gone.deleted_count == 2
    assert [d["_id"] async for d in db.c.find().sort("expires_at", 1)] == ["s2", "s3", "s4"]

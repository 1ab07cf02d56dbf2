"""Keys and indexes: what makes a write unique, and index creation that can run at every start."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import ASCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from junction_common.store.event_store import EventStore

pytestmark = pytest.mark.integration

DUPLICATE_KEY = 11000


async def test_a_duplicate_id_raises_duplicate_key_error(db):
    await db.c.insert_one({"_id": "a", "n": 1})
    with pytest.raises(DuplicateKeyError) as err:
        await db.c.insert_one({"_id": "a", "n": 2})
    assert err.value.code == DUPLICATE_KEY
    assert await db.c.find_one({"_id": "a"}) == {"_id": "a", "n": 1}


async def test_a_unique_index_violation_raises_duplicate_key_error(db):
    await db.c.create_index([("command_id", ASCENDING)], unique=True)
    await db.c.insert_one({"_id": "s@0", "command_id": "cmd_1"})
    with pytest.raises(DuplicateKeyError) as err:
        await db.c.insert_one({"_id": "s@1", "command_id": "cmd_1"})
    assert err.value.code == DUPLICATE_KEY
    assert await db.c.count_documents({}) == 1


async def test_an_upsert_racing_an_existing_id_raises_duplicate_key_error(db):
    """A guarded upsert whose guard fails meets the existing _id (the projection swap keeps the newer)."""
    await db.c.insert_one({"_id": "p", "_version": 5})
    with pytest.raises(DuplicateKeyError):
        await db.c.replace_one({"_id": "p", "_version": {"$lte": 3}}, {"_id": "p", "_version": 3}, upsert=True)
    assert (await db.c.find_one({"_id": "p"}))["_version"] == 5


async def test_insert_many_with_a_duplicate_raises_bulk_write_error_with_code_11000(db):
    await db.c.insert_one({"_id": 2})
    with pytest.raises(BulkWriteError) as err:
        await db.c.insert_many([{"_id": 1}, {"_id": 2}, {"_id": 3}], ordered=False)
    assert [e["code"] for e in err.value.details["writeErrors"]] == [DUPLICATE_KEY]


def _keys(indexes: dict[str, Any]) -> dict[tuple[str, ...], bool]:
    """Index key fields -> unique; names are not compared (nx-27017 lists other names than it returns)."""
    return {tuple(k for k, _ in spec["key"]): bool(spec.get("unique")) for spec in indexes.values()}


async def test_index_creation_is_idempotent(db):
    await db.c.create_index([("stream_id", ASCENDING)])
    await db.c.insert_one({"_id": "x", "stream_id": "s", "command_id": "c"})
    await db.c.create_index([("stream_id", ASCENDING)])
    await db.c.create_index("stream_id")
    await db.c.create_index([("command_id", ASCENDING)], unique=True)
    await db.c.create_index([("command_id", ASCENDING)], unique=True)
    assert _keys(await db.c.index_information()) == {("_id",): False, ("stream_id",): False, ("command_id",): True}


async def test_the_event_store_indexes_can_be_ensured_at_every_start(db):
    store = EventStore(db)
    await store.ensure_indexes()
    before = await store.commits.index_information()
    await store.ensure_indexes()
    assert await store.commits.index_information() == before
    assert _keys(before) == {("_id",): False, ("command_id",): True, ("stream_id",): False, ("published",): False}


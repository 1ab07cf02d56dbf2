"""The projection swap: a live projection is replaced by its rebuild without a rename, on every server.

A live collection that drifted (a tampered document, a document no event made) is rebuilt without
being dropped first; a swap that dies half way leaves every live document at its old or rebuilt
version, and running it again completes it.
"""

from __future__ import annotations

import pytest

from junction_common.projections import rebuild as rb
from tests.test_replay_rebuild import run_cli

pytestmark = pytest.mark.integration


async def _create_contacts(gateway, http, key: str, count: int) -> None:
    for i in range(count):
        body = {"name": f"Person {i}", "email": f"p{i}@example.com"}
        async with http.post(f"{gateway.url}/v1/contacts", json=body,
                             headers={"Authorization": f"Bearer {key}"}) as resp:
            assert resp.status == 201


async def test_rebuild_over_a_drifted_live_projection(gateway, crm_service, workspace, http):
    _, key = workspace
    await _create_contacts(gateway, http, key, 12)
    contacts = crm_service.db["contacts"]
    original = await contacts.find().sort("_id", 1).to_list()
    tampered = original[3]["_id"]
    await contacts.update_one({"_id": tampered}, {"$set": {"name": "tampered"}})
    await contacts.insert_one({**original[0], "_id": "con_no_event_made_this"})
    await crm_service.db["contacts__rebuild_1"].insert_one({"_id": "leftover"})  # an interrupted rebuild's
    code, _, err = await run_cli(crm_service.settings, "replay", "projection", "crm.contacts")
    assert code == 0, err
    assert await contacts.find().sort("_id", 1).to_list() == original
    assert "contacts__rebuild_1" not in await crm_service.db.list_collection_names()


async def test_a_swap_interrupted_half_way_loses_nothing_and_completes(crm_service):
    db = crm_service.db
    live = [{"_id": f"d{i:03}", "_version": 1, "value": "old"} for i in range(40)]
    rebuilt = [{"_id": f"d{i:03}", "_version": 2, "value": "new"} for i in range(40)]
    rebuilt[5] = {"_id": "d005", "_version": 1, "value": "rebuilt-at-v1"}
    await db["live"].insert_many(live)
    await db["live"].replace_one({"_id": "d007"}, {"_id": "d007", "_version": 3, "value": "newer-live"})
    await db["live"].insert_one({"_id": "gone", "_version": 1, "value": "no event made this"})
    await db["staging"].insert_many(rebuilt)
    before = await rb.live_ids(db, "live")

    # The first half lands, then the process dies before the rest and before deleting or dropping.
    await rb._replace_older(db["live"], rebuilt[:20])
    halfway = {d["_id"]: d for d in await db["live"].find().to_list()}
    assert set(halfway) == set(before)  # nothing missing
    assert all(halfway[d["_id"]]["value"] in ("old", "new", "rebuilt-at-v1", "newer-live") for d in live)

    report = await rb.swap_collections(db, "staging", "live", before)
    final = {d["_id"]: d for d in await db["live"].find().to_list()}
    assert report.deleted == 1 and "gone" not in final
    assert final["d007"] == {"_id": "d007", "_version": 3, "value": "newer-live"}  # the live fold was ahead
    assert final["d005"]["value"] == "rebuilt-at-v1"  # same version: the rebuild's content wins
    assert {k: v["value"] for k, v in final.items() if k not in ("d007", "d005")} == {
        f"d{i:03}": "new" for i in range(40) if i not in (5, 7)
    }
    assert "staging" not in await db.list_collection_names()

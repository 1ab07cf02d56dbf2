"""Every CRM projection dropped and replayed from its topics comes back identical, document by document."""

from __future__ import annotations

import pytest

from junction_common.projections.rebuild import registered_projections
from tests.test_replay_rebuild import run_cli

pytestmark = pytest.mark.integration


async def post(http, url, key, body, method="POST"):
    async with http.request(method, url, json=body, headers={"Authorization": f"Bearer {key}"}) as resp:
        assert resp.status in (200, 201), await resp.text()
        return (await resp.json())["data"]


async def test_drop_every_crm_projection_and_replay(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    contact = await post(http, f"{base}/v1/contacts", key, {"name": "Jane Doe", "custom_fields": {"vip": True}})
    await post(http, f"{base}/v1/companies", key, {"name": "Acme", "domain": "acme.com"})
    await post(http, f"{base}/v1/leads", key, {"name": "Priya", "source": "website"})
    await post(http, f"{base}/v1/deal-stages", key, {"key": "won", "name": "Won", "position": 9})  # (`qualified`:
    # a stage of the default pipeline, which the replay rebuilds with the rest)
    deal = await post(http, f"{base}/v1/deals", key, {"name": "Pilot", "stage": "qualified", "amount_cents": 100})
    await post(http, f"{base}/v1/deals/{deal['id']}", key, {"stage": "won"}, method="PATCH")
    task = await post(http, f"{base}/v1/tasks", key, {"title": "Call", "related_resource_type": "contact",
                                                      "related_resource_id": contact["id"]})
    await post(http, f"{base}/v1/tasks/{task['id']}", key, {"status": "completed"}, method="PATCH")
    await post(http, f"{base}/v1/activities", key, {"type": "call", "summary": "Talked pricing"})
    crm = [p for name, p in registered_projections().items() if name.startswith("crm.")]
    db = crm_service.db
    before = {p.collection: await db[p.collection].find().sort("_id", 1).to_list() for p in crm}
    assert sum(len(docs) for docs in before.values()) >= 8
    for p in crm:
        await db.drop_collection(p.collection)
    code, out, err = await run_cli(crm_service.settings, "replay", "projection", "crm.*")
    assert code == 0, err
    assert len(out.strip().splitlines()) == len(crm)  # one report per rebuilt projection
    after = {p.collection: await db[p.collection].find().sort("_id", 1).to_list() for p in crm}
    assert after == before

"""Every new workspace starts with the default sales pipeline, as ordinary deal stages the crm makes from the
setup command the workspace's creation sends; the reference's examples then work as written on it. Setting a
workspace up again creates nothing twice; the stages are archivable like any other."""

from __future__ import annotations

import pytest

from crm.app.routing import decider_for
from crm.app.workspace_setup import provision_workspace
from crm.domain.pipeline import DEFAULT_STAGES, stage_id
from junction_common.envelope import CommandEnvelope
from junction_common.testing.infra import eventually
from junction_common.workspaces import setup_command
from tests.api import call

pytestmark = pytest.mark.integration


async def stages(http, base: str, key: str) -> list[dict]:
    status, body = await call(http, "GET", f"{base}/v1/deal-stages?limit=100", key)
    assert status == 200, body
    return sorted(body["data"], key=lambda s: s["position"])


async def test_a_new_workspace_converts_a_lead_into_a_deal_as_documented(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    listed = await stages(http, base, key)
    assert [(s["key"], s["name"], s["position"], s["probability"]) for s in listed] == [
        tuple(s) for s in DEFAULT_STAGES]
    _, lead = await call(http, "POST", f"{base}/v1/leads", key,
                         {"name": "Priya Shah", "company_name": "Northstar Studio", "source": "website"})
    status, body = await call(http, "POST", f"{base}/v1/leads/{lead['data']['id']}/convert", key,
                              {"create_deal": True, "deal_name": "Website redesign"})
    assert status == 200 and body["data"]["status"] == "converted", body
    deal = await eventually(lambda: crm_service.db["deals"].find_one({"name": "Website redesign"}))
    assert deal["stage"] == "qualified"  # the first stage by position
    # createDeal's and updateDeal's examples, as documented: stages `qualified`, then `proposal`.
    status, body = await call(http, "POST", f"{base}/v1/deals", key,
                              {"name": "Pilot subscription", "stage": "qualified", "amount_cents": 500000})
    assert status == 201, body
    status, body = await call(http, "PATCH", f"{base}/v1/deals/{body['data']['id']}", key,
                              {"stage": "proposal", "amount_cents": 750000, "currency": "USD"})
    assert status == 200 and body["data"]["stage"] == "proposal", body


async def test_setting_up_again_creates_nothing_and_stages_are_ordinary(gateway, crm_service, workspace, http):
    workspace_id, key = workspace
    base = gateway.url
    ids = {stage_id(workspace_id, s.key) for s in DEFAULT_STAGES}
    assert {s["id"] for s in await stages(http, base, key)} == ids
    # A redelivered setup command, then a second setup with a command id of its own.
    second = CommandEnvelope(type="workspace.provision", aggregate_id=workspace_id, workspace_id=workspace_id)
    for cmd in (setup_command(workspace_id), second):
        await provision_workspace(crm_service, cmd)
    assert [[e.type for e in (await crm_service.store.load(i))[0]] for i in ids] == [["deal_stage.created"]] * len(ids)
    assert len(await stages(http, base, key)) == len(DEFAULT_STAGES)
    # Archivable like any stage: archived, it is no longer listed nor a stage a deal can be in.
    archive = CommandEnvelope(type="deal_stage.archive", aggregate_id=stage_id(workspace_id, "closed_lost"),
                              workspace_id=workspace_id)
    await crm_service.executor.execute(archive, await decider_for(archive, crm_service.db))
    await eventually(lambda: _without(http, base, key, "closed_lost"))
    status, body = await call(http, "POST", f"{base}/v1/deals", key, {"name": "Lost one", "stage": "closed_lost"})
    assert status == 422 and body["error"]["details"]["pointer"] == "/stage", body


async def _without(http, base: str, key: str, stage: str) -> bool:
    return stage not in {s["key"] for s in await stages(http, base, key)}

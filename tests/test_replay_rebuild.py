"""Dropping the contacts projection and running `junction replay` rebuilds identical documents."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from junction_common.testing.infra import env_of

pytestmark = pytest.mark.integration


async def run_cli(settings, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "junction_common.cli.main", *args,
        env={**os.environ, **env_of(settings)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_replay_rebuilds_dropped_projection_identically(gateway, crm_service, workspace, http):
    _, key = workspace
    for i in range(30):
        body = {"name": f"Person {i}", "email": f"p{i}@example.com", "custom_fields": {"tier": i % 3}}
        async with http.post(f"{gateway.url}/v1/contacts", json=body,
                             headers={"Authorization": f"Bearer {key}"}) as resp:
            assert resp.status == 201
    contacts = crm_service.db["contacts"]
    original = await contacts.find().sort("_id", 1).to_list()
    assert len(original) == 30
    await crm_service.db.drop_collection("contacts")
    assert await contacts.count_documents({}) == 0
    code, out, err = await run_cli(crm_service.settings, "replay", "projection", "crm.contacts")
    assert code == 0, err
    assert '"documents": 30' in out
    rebuilt = await contacts.find().sort("_id", 1).to_list()
    assert rebuilt == original
    async with http.get(f"{gateway.url}/v1/contacts?limit=100", headers={"Authorization": f"Bearer {key}"}) as resp:
        assert len((await resp.json())["data"]) == 30


async def test_replay_topic_moves_a_stopped_group(crm_service):
    code, out, err = await run_cli(crm_service.settings, "replay", "topic", "--topic", "crm.contact.events",
                                   "--group", crm_service.settings.topic("audit.readers"), "--from-offset", "0")
    assert code == 0, err
    assert "crm.contact.events[0]" in out
    code, _, err = await run_cli(crm_service.settings, "replay", "topic", "--topic", "crm.contact.events",
                                 "--group", crm_service.settings.topic("crm.projections"),
                                 "--from-offset", "0")
    assert code == 2 and "stop its consumers first" in err  # a live group is never moved under its feet

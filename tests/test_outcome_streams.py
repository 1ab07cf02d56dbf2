"""Many writes' outcome long polls in one call: each answer is streamed as it lands, none waits for another."""

from __future__ import annotations

import asyncio

import pytest

from gateway.internal_client import ServiceClient
from junction_common.internal_auth import HEADER, sign
from junction_common.web.frames import read_frames

pytestmark = pytest.mark.integration

PATH = "/internal/commands"


async def _created(gateway, key: str, http, name: str) -> str:
    async with http.post(f"{gateway.url}/v1/contacts", json={"name": name},
                         headers={"Authorization": f"Bearer {key}"}) as resp:
        assert resp.status == 201
        return str((await resp.json())["data"]["id"])


async def test_answers_stream_as_they_land_and_a_pending_one_holds_up_no_other(crm_service, gateway, workspace,
                                                                                 http):
    _, key = workspace
    contact_id = await _created(gateway, key, http, "Streamed")
    command_id = "cmd_" + contact_id.split("_", 1)[1]
    waits = [{"command_id": "cmd_01NEVERSENT", "collection": "contacts", "timeout_s": 3},
             {"command_id": command_id, "collection": "contacts", "timeout_s": 3},
             {"command_id": command_id, "collection": "../x"}]
    header = sign(crm_service.settings.internal_secret, "req_s", "POST", PATH, None)
    async with http.post(crm_service.internal_url + PATH, json={"waits": waits}, headers={HEADER: header}) as resp:
        assert resp.status == 200
        answers = [answer async for answer in read_frames(resp.content)]
    assert [a["command_id"] for a in answers[:2]] == [command_id, command_id]  # the unknown one comes last
    settled = next(a for a in answers[:2] if "error" not in a)
    assert settled["status"] == "succeeded" and settled["resource"]["id"] == contact_id
    assert "_version" not in settled["resource"]  # presented by the crm, as the single long poll does
    assert next(a for a in answers[:2] if "error" in a)["error"] == "invalid collection"
    assert answers[2] == {"command_id": "cmd_01NEVERSENT", "status": "pending"}


async def test_an_unsigned_batch_is_refused(crm_service, http):
    async with http.post(crm_service.internal_url + PATH, json={"waits": []}) as resp:
        assert resp.status == 401
    header = sign(crm_service.settings.internal_secret, "req_s", "GET", PATH, None)  # signed for another method
    async with http.post(crm_service.internal_url + PATH, json={"waits": []}, headers={HEADER: header}) as resp:
        assert resp.status == 401


async def test_concurrent_writes_are_answered_through_gathered_calls(crm_service, gateway, workspace, http,
                                                                     stack_settings):
    _, key = workspace
    ids = await asyncio.gather(*(_created(gateway, key, http, f"Gathered {i}") for i in range(12)))
    client = ServiceClient(stack_settings.gateway.model_copy(
        update={"service_urls": {"crm": crm_service.internal_url}}))
    try:
        outcomes = await asyncio.gather(*(client.awaited_outcome("crm", "cmd_" + i.split("_", 1)[1], "contacts", 5.0)
                                          for i in ids))
    finally:
        await client.close()
    assert [o["resource"]["id"] if o else None for o in outcomes] == ids

"""A service's internal API serves only calls the gateway signed for that very request."""

from __future__ import annotations

import pytest

from junction_common.internal_auth import HEADER, sign

pytestmark = pytest.mark.integration


async def test_unsigned_or_misdirected_calls_are_refused(crm_service, http):
    base, secret = crm_service.internal_url, crm_service.settings.internal_secret
    path = "/internal/commands/cmd_01NOTHINGHERE"
    async with http.get(base + "/healthz") as resp:
        assert resp.status == 200  # liveness needs no signature
    async with http.get(base + path) as resp:
        assert resp.status == 401
    for header in (sign(secret, "req_1", "GET", "/internal/commands/cmd_other", None),  # another path
                   sign(secret, "req_1", "POST", path, None),  # another method
                   sign("not-the-secret", "req_1", "GET", path, None)):
        async with http.get(base + path, headers={HEADER: header}) as resp:
            assert resp.status == 401
    async with http.get(base + path, params={"timeout_s": "0"},
                        headers={HEADER: sign(secret, "req_1", "GET", path, None)}) as resp:
        assert resp.status == 200 and await resp.json() == {"status": "pending"}


async def test_the_outcome_long_poll_answers_with_the_readable_resource(crm_service, gateway, workspace, http):
    _, key = workspace
    async with http.post(f"{gateway.url}/v1/contacts", json={"name": "Long Poll"},
                         headers={"Authorization": f"Bearer {key}"}) as resp:
        created = await resp.json()
        assert resp.status == 201
    command_id = "cmd_" + created["data"]["id"].split("_", 1)[1]
    path = f"/internal/commands/{command_id}"
    header = sign(crm_service.settings.internal_secret, "req_2", "GET", path, None)
    async with http.get(crm_service.internal_url + path, params={"collection": "contacts", "timeout_s": "2"},
                        headers={HEADER: header}) as resp:
        body = await resp.json()
    assert body["status"] == "succeeded" and body["resource"]["id"] == created["data"]["id"]
    assert "_version" not in body["resource"] and "workspace_id" not in body["resource"]  # presented by the crm
    async with http.get(crm_service.internal_url + path, params={"collection": "../x"},
                        headers={HEADER: header}) as resp:
        assert resp.status == 422

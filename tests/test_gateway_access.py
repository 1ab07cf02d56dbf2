"""API keys, members and plan over REST: keys shown once, never over-scoped, revocable; roles enforced."""

from __future__ import annotations

import pytest

from conftest import create_workspace
from tests.api import bearer

pytestmark = pytest.mark.integration


async def test_key_lifecycle_scope_subset_and_revocation(gateway, crm_service, workspace, http):
    _, owner = workspace
    url = f"{gateway.url}/v1/api-keys"
    async with http.post(url, json={"name": "reader", "scopes": ["crm:read"]}, headers=bearer(owner)) as resp:
        created = await resp.json()
        assert resp.status == 201 and resp.headers["Cache-Control"] == "no-store"
    reader = created["data"]["key"]
    assert reader.startswith("jk_live_") and created["data"]["scopes"] == ["crm:read"]
    async with http.get(f"{gateway.url}/v1/contacts", headers=bearer(reader)) as resp:
        assert resp.status == 200
    async with http.post(f"{gateway.url}/v1/contacts", json={"name": "X"}, headers=bearer(reader)) as resp:
        assert resp.status == 403 and (await resp.json())["error"]["code"] == "FORBIDDEN"
    # The reader cannot mint a key with more than it has.
    async with http.post(url, json={"name": "escalate", "scopes": ["crm:write"]}, headers=bearer(reader)) as resp:
        assert resp.status == 403  # no api_keys:write scope, and crm:write is more than it has
    async with http.post(url, json={"name": "wild", "scopes": ["*"]}, headers=bearer(reader)) as resp:
        assert resp.status == 403
    async with http.get(url, headers=bearer(owner)) as resp:
        listed = (await resp.json())["data"]
    assert {k["name"] for k in listed} >= {"owner", "reader"}
    assert all("key" not in k and "key_hash" not in k for k in listed)
    reader_id = created["data"]["id"]
    async with http.delete(f"{url}/{reader_id}", headers=bearer(owner)) as resp:
        assert resp.status == 200
    async with http.get(f"{gateway.url}/v1/contacts", headers=bearer(reader)) as resp:
        assert resp.status == 401
    audit = await gateway_audit(gateway)
    assert {"api_key.created", "api_key.revoked"} <= {a["action"] for a in audit}


async def gateway_audit(gateway):
    from junction_common.mongo import create_client

    client = create_client(gateway.settings)
    try:
        return await client[gateway.settings.db_name("gateway")]["audit_log"].find().to_list()
    finally:
        await client.close()


async def test_other_workspace_key_id_is_404(gateway, crm_service, workspace, http):
    _, owner_a = workspace
    _, owner_b = await create_workspace(gateway.settings, "B", "business")
    async with http.post(f"{gateway.url}/v1/api-keys", json={"name": "a-key"}, headers=bearer(owner_a)) as resp:
        key_id = (await resp.json())["data"]["id"]
    async with http.delete(f"{gateway.url}/v1/api-keys/{key_id}", headers=bearer(owner_b)) as resp:
        assert resp.status == 404
    async with http.post(f"{gateway.url}/v1/members", json={"email": "m@a.com"}, headers=bearer(owner_a)) as resp:
        member_id = (await resp.json())["data"]["id"]
    async with http.patch(f"{gateway.url}/v1/members/{member_id}", json={"role": "ADMIN"},
                          headers=bearer(owner_b)) as resp:
        assert resp.status == 404
    async with http.get(f"{gateway.url}/v1/members", headers=bearer(owner_b)) as resp:
        assert (await resp.json())["data"] == []


async def test_members_roles_and_last_owner(gateway, crm_service, workspace, http):
    _, owner = workspace
    url = f"{gateway.url}/v1/members"
    async with http.post(url, json={"email": "boss@acme.com", "role": "OWNER"}, headers=bearer(owner)) as resp:
        boss = (await resp.json())["data"]
        assert resp.status == 201
    async with http.post(url, json={"email": "boss@acme.com"}, headers=bearer(owner)) as resp:
        assert resp.status == 422
    async with http.patch(f"{url}/{boss['id']}", json={"role": "MEMBER"}, headers=bearer(owner)) as resp:
        assert resp.status == 422  # the last OWNER stays
    async with http.post(url, json={"email": "ana@acme.com", "role": "MEMBER"}, headers=bearer(owner)) as resp:
        ana = (await resp.json())["data"]
    async with http.patch(f"{url}/{ana['id']}", json={"role": "ADMIN"}, headers=bearer(owner)) as resp:
        assert resp.status == 200 and (await resp.json())["data"]["role"] == "ADMIN"
    async with http.post(url, json={"email": "bad"}, headers=bearer(owner)) as resp:
        body = await resp.json()
        assert resp.status == 422 and body["error"]["details"][0]["pointer"] == "/email"
    async with http.post(f"{gateway.url}/v1/api-keys", json={"name": "viewer-ish", "scopes": ["crm:read"]},
                         headers=bearer(owner)) as resp:
        limited = (await resp.json())["data"]["key"]
    async with http.delete(f"{url}/{ana['id']}", headers=bearer(limited)) as resp:
        assert resp.status == 403  # an OWNER's key scoped to crm:read manages nobody
    async with http.delete(f"{url}/{ana['id']}", headers=bearer(owner)) as resp:
        assert resp.status == 200
    async with http.get(f"{gateway.url}/v1/plan", headers=bearer(owner)) as resp:
        plan = (await resp.json())["data"]
    assert plan["plan"] == "business" and plan["limits"] == {"requests_per_minute": 600, "requests_per_day": 200000}
    assert plan["usage"]["requests_today"] >= 1


async def test_a_key_can_only_hand_down_scopes_it_has(gateway, crm_service, workspace, http):
    _, owner = workspace
    url = f"{gateway.url}/v1/api-keys"
    async with http.post(url, json={"name": "minter", "scopes": ["crm:read", "api_keys:write"]},
                         headers=bearer(owner)) as resp:
        minter = (await resp.json())["data"]["key"]
    async with http.post(url, json={"name": "more", "scopes": ["crm:write"]}, headers=bearer(minter)) as resp:
        body = await resp.json()
        assert resp.status == 403 and body["error"]["details"] == {"scopes": ["crm:write"]}
    async with http.post(url, json={"name": "same", "scopes": ["crm:read"]}, headers=bearer(minter)) as resp:
        assert resp.status == 201
    async with http.post(url, json={"name": "all-of-mine"}, headers=bearer(minter)) as resp:
        assert resp.status == 201 and (await resp.json())["data"]["scopes"] == ["api_keys:write", "crm:read"]
    async with http.post(url, json={"name": "old", "expires_at": "2001-01-01T00:00:00Z"},
                         headers=bearer(owner)) as resp:
        assert resp.status == 422


async def test_get_workspace_returns_modules_for_any_read_scope(gateway, crm_service, workspace, http):
    ws, owner = workspace
    async with http.get(f"{gateway.url}/v1/workspace", headers=bearer(owner)) as resp:
        data = (await resp.json())["data"]
    assert data["id"] == ws and data["name"] == "Acme" and "crm" in data["enabled_modules"]
    async with http.post(f"{gateway.url}/v1/api-keys", json={"name": "bi", "scopes": ["bi:read"]},
                         headers=bearer(owner)) as resp:
        bi_key = (await resp.json())["data"]["key"]
    async with http.get(f"{gateway.url}/v1/workspace", headers=bearer(bi_key)) as resp:
        assert resp.status == 200
    async with http.post(f"{gateway.url}/v1/api-keys", json={"name": "keys", "scopes": ["api_keys:read"]},
                         headers=bearer(owner)) as resp:
        other = (await resp.json())["data"]["key"]
    async with http.get(f"{gateway.url}/v1/workspace", headers=bearer(other)) as resp:
        assert resp.status == 403

"""Lead conversion: links or creates contact and company, optionally a deal; idempotent; clear refusals."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


async def call(http, method, url, key, body=None, headers=None):
    async with http.request(method, url, json=body, headers={"Authorization": f"Bearer {key}", **(headers or {})}
                            ) as resp:
        return resp.status, await resp.json()


async def test_convert_creates_contact_company_and_deal_once(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    await call(http, "POST", f"{base}/v1/deal-stages", key, {"key": "discovery", "name": "Discovery", "position": 1})
    _, body = await call(http, "POST", f"{base}/v1/leads", key,
                         {"name": "Priya Shah", "email": "priya@northstar.io", "company_name": "Northstar Studio"})
    lead_id = body["data"]["id"]
    request = {"create_deal": True, "deal_name": "Website redesign"}
    idem = {"Idempotency-Key": "convert-priya"}
    status, body = await call(http, "POST", f"{base}/v1/leads/{lead_id}/convert", key, request, idem)
    assert status == 200, body
    converted = body["data"]
    assert converted["status"] == "converted" and converted["id"] == lead_id
    again_status, again = await call(http, "POST", f"{base}/v1/leads/{lead_id}/convert", key, request, idem)
    assert (again_status, again) == (status, body)  # the same key replays the first answer
    status, body = await call(http, "POST", f"{base}/v1/leads/{lead_id}/convert", key, request)
    assert status == 422 and "converted" in body["error"]["message"]
    _, contacts = await call(http, "GET", f"{base}/v1/contacts?query=priya", key)
    assert [c["id"] for c in contacts["data"]] == [converted["contact_id"]]
    assert contacts["data"][0]["company_id"] == converted["company_id"]
    _, companies = await call(http, "GET", f"{base}/v1/companies?query=northstar", key)
    assert [c["id"] for c in companies["data"]] == [converted["company_id"]]
    deal = await crm_service.db["deals"].find_one({"_id": converted["deal_id"]})
    assert deal["name"] == "Website redesign" and deal["stage"] == "discovery"


async def test_convert_links_existing_contact_and_refuses_disqualified(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    _, existing = await call(http, "POST", f"{base}/v1/contacts", key, {"name": "Omar", "email": "omar@x.io"})
    _, body = await call(http, "POST", f"{base}/v1/leads", key, {"name": "Omar H", "email": "omar@x.io"})
    status, body = await call(http, "POST", f"{base}/v1/leads/{body['data']['id']}/convert", key, {})
    assert status == 200 and body["data"]["contact_id"] == existing["data"]["id"]
    assert body["data"]["company_id"] is None and body["data"]["deal_id"] is None
    _, contacts = await call(http, "GET", f"{base}/v1/contacts", key)
    assert len(contacts["data"]) == 1
    _, lead = await call(http, "POST", f"{base}/v1/leads", key, {"name": "Unknown deal stage"})
    status, body = await call(http, "POST", f"{base}/v1/leads/{lead['data']['id']}/convert", key,
                              {"create_deal": True, "deal_stage": "nowhere"})
    assert status == 422 and body["error"]["details"]["pointer"] == "/deal_stage"
    status, _ = await call(http, "POST", f"{base}/v1/leads/lead_unknown1/convert", key, {})
    assert status == 404

"""Declared CRM resources through the gateway: create, list with filters and search, update, rules."""

from __future__ import annotations

import pytest

from tests.api import call

pytestmark = pytest.mark.integration


async def test_companies_and_leads_filters_search_custom_fields(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    status, body = await call(http, "POST", f"{base}/v1/companies", key, {"name": "Acme Corp", "domain": "acme.com"})
    assert status == 201 and body["data"]["id"].startswith("com_") and body["data"]["domain"] == "acme.com"
    leads = [("Priya Shah", "website", "new", "gold"), ("Omar Haddad", "referral", "working", "silver"),
             ("Priya Nair", "referral", "qualified", "gold")]
    for name, source, status_, tier in leads:
        status, body = await call(http, "POST", f"{base}/v1/leads", key,
                                  {"name": name, "source": source, "status": status_, "custom_fields": {"tier": tier}})
        assert status == 201 and body["data"]["status"] == status_
    status, body = await call(http, "GET", f"{base}/v1/leads?query=priya", key)
    assert sorted(d["name"] for d in body["data"]) == ["Priya Nair", "Priya Shah"]
    status, body = await call(http, "GET", f"{base}/v1/leads?source=referral&status=qualified", key)
    assert [d["name"] for d in body["data"]] == ["Priya Nair"]
    status, body = await call(http, "GET", f"{base}/v1/leads?custom_field_key=tier&custom_field_value=gold", key)
    assert sorted(d["name"] for d in body["data"]) == ["Priya Nair", "Priya Shah"]
    status, body = await call(http, "GET", f"{base}/v1/leads?status=bogus", key)
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR"
    status, body = await call(http, "POST", f"{base}/v1/leads", key, {"name": "X", "source": "telepathy"})
    assert status == 422


async def test_deal_stage_rule_and_update(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    stage = {"key": "pilot", "name": "Pilot", "position": 1}
    status, _ = await call(http, "POST", f"{base}/v1/deal-stages", key, stage)
    assert status == 201
    # `qualified` is a stage of the default pipeline every workspace starts with.
    status, body = await call(http, "POST", f"{base}/v1/deal-stages", key, {"key": "qualified", "name": "Q2",
                                                                         "position": 2})
    assert status == 422 and body["error"]["details"]["key"] == "qualified"
    deal = {"name": "Pilot", "stage": "qualified", "amount_cents": 500000, "currency": "USD"}
    status, body = await call(http, "POST", f"{base}/v1/deals", key, deal)
    assert status == 201
    deal_id = body["data"]["id"]
    status, body = await call(http, "POST", f"{base}/v1/deals", key, {**deal, "stage": "nowhere"})
    assert status == 422 and body["error"]["details"]["stage"] == "nowhere"
    status, body = await call(http, "PATCH", f"{base}/v1/deals/{deal_id}", key, {"stage": "nowhere"})
    assert status == 422
    status, body = await call(http, "PATCH", f"{base}/v1/deals/{deal_id}", key,
                              {"stage": "proposal", "amount_cents": 750000})
    assert status == 200 and body["data"]["stage"] == "proposal" and body["data"]["amount_cents"] == 750000
    assert body["data"]["name"] == "Pilot"
    status, body = await call(http, "PATCH", f"{base}/v1/deals/deal_doesnotexist", key, {"name": "x"})
    assert status == 404


async def test_tasks_related_resource_must_exist(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    status, body = await call(http, "POST", f"{base}/v1/contacts", key, {"name": "Jane Doe"})
    contact_id = body["data"]["id"]
    task = {"title": "Follow up", "related_resource_type": "contact", "related_resource_id": contact_id}
    status, body = await call(http, "POST", f"{base}/v1/tasks", key, task)
    assert status == 201 and body["data"]["status"] == "open"
    task_id = body["data"]["id"]
    status, body = await call(http, "POST", f"{base}/v1/tasks", key, {**task, "related_resource_id": "con_missing"})
    assert status == 422
    status, body = await call(http, "PATCH", f"{base}/v1/tasks/{task_id}", key,
                              {"status": "completed", "completed_note": "Done."})
    assert status == 200 and body["data"]["status"] == "completed"
    status, body = await call(http, "GET", f"{base}/v1/tasks?status=completed", key)
    assert [t["id"] for t in body["data"]] == [task_id]
    status, body = await call(http, "GET", f"{base}/v1/tasks?status=open", key)
    assert body["data"] == []


async def test_other_workspace_cannot_touch_records(gateway, crm_service, workspace, http):
    from conftest import create_workspace

    _, key_a = workspace
    _, key_b = await create_workspace(gateway.settings, "B", "business")
    status, body = await call(http, "POST", f"{gateway.url}/v1/tasks", key_a, {"title": "Secret"})
    task_id = body["data"]["id"]
    status, body = await call(http, "PATCH", f"{gateway.url}/v1/tasks/{task_id}", key_b, {"title": "Hijack"})
    assert status == 404
    status, body = await call(http, "GET", f"{gateway.url}/v1/tasks", key_b)
    assert body["data"] == []

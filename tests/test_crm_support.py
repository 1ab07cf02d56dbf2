"""Support queues and tickets through the gateway: defaults, enum and id filters, search, custom fields,
links that must exist in the workspace, unique queue keys, updates."""

from __future__ import annotations

import pytest

from tests.api import call, ids

pytestmark = pytest.mark.integration


async def test_queues_unique_key_filters_and_custom_fields(gateway, crm_service, workspace, http):
    _, key = workspace
    url = f"{gateway.url}/v1/support/queues"
    seed = {"key": "priority", "name": "Priority Support", "first_response_target_minutes": 120}
    status, body = await call(http, "POST", url, key, {**seed, "custom_fields": {"tier": "gold"}})
    assert status == 201 and body["data"]["id"].startswith("queue_"), body
    assert body["data"]["key"] == "priority" and body["data"]["first_response_target_minutes"] == 120
    assert body["data"]["status"] == "active"
    priority = body["data"]["id"]
    status, body = await call(http, "POST", url, key, {**seed, "name": "Another"})
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR"
    assert body["error"]["details"]["pointer"] == "/key"
    status, body = await call(http, "POST", url, key, {"key": "billing", "name": "Billing desk", "status": "paused"})
    billing = body["data"]["id"]
    status, body = await call(http, "POST", url, key, {"key": "x", "name": "x", "first_response_target_minutes": 0})
    assert status == 422
    assert await ids(http, f"{url}?status=paused", key) == [billing]
    assert await ids(http, f"{url}?status=active", key) == [priority]
    assert await ids(http, f"{url}?status=archived", key) == []
    assert await ids(http, f"{url}?query=billing", key) == [billing]
    assert await ids(http, f"{url}?custom_field_key=tier&custom_field_value=gold", key) == [priority]
    status, body = await call(http, "GET", f"{url}?status=closed", key)
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR"


async def test_ticket_defaults_links_and_filters(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    url = f"{base}/v1/support/tickets"
    _, body = await call(http, "POST", f"{base}/v1/support/queues", key, {"key": "priority", "name": "Priority"})
    queue_id = body["data"]["id"]
    _, body = await call(http, "POST", f"{base}/v1/contacts", key, {"name": "Jane Doe"})
    contact_id = body["data"]["id"]
    _, body = await call(http, "POST", f"{base}/v1/companies", key, {"name": "Acme"})
    company_id = body["data"]["id"]

    status, body = await call(http, "POST", url, key, {"subject": "Customer cannot download invoice",
                                                       "priority": "urgent", "category": "billing"})
    assert status == 201 and body["data"]["id"].startswith("ticket_"), body
    assert (body["data"]["status"], body["data"]["priority"], body["data"]["source"]) == ("new", "urgent", "manual")
    billing = body["data"]["id"]
    linked = {"subject": "Login loop on SSO", "source": "email", "queue_id": queue_id, "contact_id": contact_id,
              "company_id": company_id, "assignee_id": "usr_7", "custom_fields": {"region": "emea"}}
    status, body = await call(http, "POST", url, key, linked)
    assert status == 201 and body["data"]["queue_id"] == queue_id, body
    sso = body["data"]["id"]

    assert await ids(http, f"{url}?priority=urgent", key) == [billing]
    assert await ids(http, f"{url}?status=new", key) == sorted([billing, sso])
    assert await ids(http, f"{url}?source=email", key) == [sso]
    assert await ids(http, f"{url}?category=billing", key) == [billing]
    for name, value in (("queue_id", queue_id), ("contact_id", contact_id), ("company_id", company_id),
                        ("assignee_id", "usr_7")):
        assert await ids(http, f"{url}?{name}={value}", key) == [sso], name
    assert await ids(http, f"{url}?deal_id=deal_none", key) == []
    assert await ids(http, f"{url}?query=sso", key) == [sso]
    assert await ids(http, f"{url}?query=DOWNLOAD", key) == [billing]
    assert await ids(http, f"{url}?custom_field_key=region&custom_field_value=emea", key) == [sso]
    for bad in ("status=bogus", "priority=critical", "source=fax"):
        status, body = await call(http, "GET", f"{url}?{bad}", key)
        assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR", bad
    status, body = await call(http, "POST", url, key, {"subject": "x", "priority": "critical"})
    assert status == 422


@pytest.mark.parametrize("link", ["queue_id", "contact_id", "company_id", "deal_id", "lead_id", "invoice_id"])
async def test_ticket_link_must_exist(gateway, crm_service, workspace, http, link):
    _, key = workspace
    missing = {"queue_id": "queue_gone", "contact_id": "con_gone", "company_id": "com_gone",
               "deal_id": "deal_gone", "lead_id": "lead_gone", "invoice_id": "inv_gone"}[link]
    status, body = await call(http, "POST", f"{gateway.url}/v1/support/tickets", key,
                              {"subject": "Broken", link: missing})
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR", body
    assert body["error"]["details"]["pointer"] == f"/{link}" and body["error"]["details"]["id"] == missing


async def test_ticket_link_of_the_wrong_kind_or_workspace_is_refused(gateway, crm_service, workspace, http):
    from conftest import create_workspace

    _, key = workspace
    _, other_key = await create_workspace(gateway.settings, "Other", "business")
    base = gateway.url
    _, body = await call(http, "POST", f"{base}/v1/companies", other_key, {"name": "Elsewhere"})
    foreign_company = body["data"]["id"]
    _, body = await call(http, "POST", f"{base}/v1/companies", key, {"name": "Acme"})
    own_company = body["data"]["id"]
    status, body = await call(http, "POST", f"{base}/v1/support/tickets", key,
                              {"subject": "x", "company_id": foreign_company})
    assert status == 422 and body["error"]["details"]["pointer"] == "/company_id"
    status, body = await call(http, "POST", f"{base}/v1/support/tickets", key,
                              {"subject": "x", "contact_id": own_company})
    assert status == 422 and body["error"]["details"]["pointer"] == "/contact_id"


async def test_update_ticket_status_and_queue(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    url = f"{base}/v1/support/tickets"
    _, body = await call(http, "POST", f"{base}/v1/support/queues", key, {"key": "priority", "name": "Priority"})
    queue_id = body["data"]["id"]
    _, body = await call(http, "POST", url, key, {"subject": "Customer cannot download invoice"})
    ticket_id = body["data"]["id"]
    status, body = await call(http, "PATCH", f"{url}/{ticket_id}", key, {"status": "open", "queue_id": queue_id})
    assert status == 200 and body["data"]["status"] == "open" and body["data"]["queue_id"] == queue_id, body
    assert body["data"]["subject"] == "Customer cannot download invoice"
    status, body = await call(http, "PATCH", f"{url}/{ticket_id}", key, {"queue_id": "queue_gone"})
    assert status == 422 and body["error"]["details"]["pointer"] == "/queue_id"
    status, body = await call(http, "PATCH", f"{url}/{ticket_id}", key, {"status": "escalated"})
    assert status == 422
    status, body = await call(http, "PATCH", f"{url}/ticket_doesnotexist", key, {"status": "open"})
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"
    assert await ids(http, f"{url}?status=open&queue_id={queue_id}", key) == [ticket_id]
    assert await ids(http, f"{url}?status=new", key) == []

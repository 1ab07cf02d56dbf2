"""Ticket messages and comments: nested under their ticket; the first outbound message records first response."""

from __future__ import annotations

import asyncio

import pytest

from tests.api import call

pytestmark = pytest.mark.integration


async def test_messages_comments_and_first_response(gateway, crm_service, workspace, http):
    _, key = workspace
    base = f"{gateway.url}/v1/support"
    _, queue = await call(http, "POST", f"{base}/queues", key,
                          {"key": "billing", "name": "Billing", "first_response_target_minutes": 60})
    status, ticket = await call(http, "POST", f"{base}/tickets", key,
                                {"subject": "Cannot access invoice", "queue_id": queue["data"]["id"]})
    assert status == 201, ticket
    ticket_id = ticket["data"]["id"]
    inbound = {"direction": "inbound", "channel": "email", "body": "I still cannot access the invoice."}
    status, body = await call(http, "POST", f"{base}/tickets/{ticket_id}/messages", key, inbound)
    assert status == 201 and body["data"]["ticket_id"] == ticket_id and body["data"]["id"].startswith("msg_")
    for text in ("We are on it.", "Fixed now."):
        status, body = await call(http, "POST", f"{base}/tickets/{ticket_id}/messages", key,
                                  {"direction": "outbound", "channel": "email", "body": text})
        assert status == 201
        if text == "We are on it.":
            first_reply = body["data"]["id"]

    async def recorded():
        doc = await crm_service.db["tickets"].find_one({"_id": ticket_id})
        return doc if doc and doc.get("first_response_at") else None

    for _ in range(100):
        if doc := await recorded():
            break
        await asyncio.sleep(0.1)
    assert doc["first_response_message_id"] == first_reply  # the first outbound one, not the second
    assert doc["first_response_minutes"] == 0 and doc["first_response_breached"] is False
    assert doc["first_response_target_minutes"] == 60
    _, listed = await call(http, "GET", f"{base}/tickets/{ticket_id}/messages?query=invoice", key)
    assert [m["body"] for m in listed["data"]] == [inbound["body"]]
    _, listed = await call(http, "GET", f"{base}/tickets/{ticket_id}/messages", key)
    assert len(listed["data"]) == 3
    status, body = await call(http, "POST", f"{base}/tickets/{ticket_id}/comments", key,
                              {"body": "Finance is checking the invoice export.", "pinned": True})
    assert status == 201 and body["data"]["pinned"] is True
    _, listed = await call(http, "GET", f"{base}/tickets/{ticket_id}/comments", key)
    assert [c["pinned"] for c in listed["data"]] == [True]
    status, body = await call(http, "POST", f"{base}/tickets/ticket_missing/messages", key, inbound)
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"  # the parent is checked first

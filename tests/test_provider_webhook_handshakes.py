"""Provider URL-verification handshakes on a subscription's incoming URL, through the real gateway on the real stack:
Meta's `hub.challenge` GET (Lead Ads with the verify token given, WhatsApp Business with one Junction made and
showed once), Dropbox's `?challenge=` echo, and Asana's `X-Hook-Secret` handshake (the secret echoed, kept sealed,
and verifying the deliveries that follow; another secret refused)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.connections_stack import HooksEdge, hooks_edge

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

APP_SECRET = "meta-app-secret-0123456789"


@pytest_asyncio.fixture(scope="module")
async def edge() -> AsyncIterator[HooksEdge]:
    async with hooks_edge(("Handshakes",)) as running:
        yield running


async def subscribe(edge: HooksEdge, provider: str, body: dict[str, Any]) -> dict[str, Any]:
    status, answer = await edge.call("POST", f"/connect/v1/webhooks/{provider}/subscribe",
                                     {"url": "https://example.com/mine", **body})
    assert status == 201, answer
    return dict(answer["data"])


async def test_meta_lead_ads_challenge_is_answered_with_the_verify_token(edge: HooksEdge) -> None:
    sub = await subscribe(edge, "meta_lead_ads", {"signingSecret": APP_SECRET, "config": {"verifyToken": "my-vt"}})
    query = {"hub.mode": "subscribe", "hub.verify_token": "my-vt", "hub.challenge": "1158201444"}
    status, text, _ = await edge.provider("GET", sub["incomingUrl"], query)
    assert (status, text) == (200, "1158201444"), text
    status, text, _ = await edge.provider("GET", sub["incomingUrl"], {**query, "hub.verify_token": "wrong"})
    assert status == 403 and "1158201444" not in text
    status, text, _ = await edge.provider("GET", sub["incomingUrl"], {**query, "hub.mode": "unsubscribe"})
    assert status == 403
    status, _, _ = await edge.provider("GET", sub["incomingUrl"] + "x", query)
    assert status == 401

    lead = json.dumps({"object": "page", "entry": [{"changes": [{"field": "leadgen"}]}]}).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), lead, hashlib.sha256).hexdigest()
    status, text, _ = await edge.provider("POST", sub["incomingUrl"], body=lead, headers={
        "X-Hub-Signature-256": signature, "Content-Type": "application/json"})
    assert status == 202, text


async def test_whatsapp_gets_a_verify_token_made_for_it_shown_once(edge: HooksEdge) -> None:
    sub = await subscribe(edge, "whatsapp_business", {"signingSecret": APP_SECRET})
    verify_token = sub["config"]["verifyToken"]
    assert len(verify_token) >= 24
    query = {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": "abc-42"}
    status, text, _ = await edge.provider("GET", sub["incomingUrl"], query)
    assert (status, text) == (200, "abc-42")
    status, listed = await edge.call("GET", "/connect/v1/webhooks/whatsapp_business/subscriptions")
    assert status == 200 and verify_token not in json.dumps(listed), listed


async def test_dropbox_challenge_is_echoed_as_text(edge: HooksEdge) -> None:
    sub = await subscribe(edge, "dropbox", {"signingSecret": APP_SECRET})
    status, text, headers = await edge.provider("GET", sub["incomingUrl"], {"challenge": "dbx-challenge-7"})
    assert (status, text) == (200, "dbx-challenge-7")
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Content-Type"].startswith("text/plain")
    status, _, _ = await edge.provider("GET", sub["incomingUrl"])
    assert status == 400
    slack = await subscribe(edge, "slack", {"signingSecret": APP_SECRET})
    status, _, _ = await edge.provider("GET", slack["incomingUrl"], {"challenge": "x"})
    assert status == 404  # Slack makes no GET handshake


async def test_asana_hook_secret_is_echoed_kept_and_verifies_deliveries(edge: HooksEdge) -> None:
    sub = await subscribe(edge, "asana", {})
    assert sub["signing"]["secretSource"] == "handshake"
    event = json.dumps({"events": [{"action": "changed", "resource": {"gid": "12", "resource_type": "task"}}]})
    body = event.encode()

    def signed(secret: str) -> dict[str, str]:
        return {"X-Hook-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
                "Content-Type": "application/json"}

    status, text, _ = await edge.provider("POST", sub["incomingUrl"], body=body, headers=signed("early"))
    assert status == 401 and json.loads(text)["error"]["details"]["reason"] == "no_secret"
    status, _, headers = await edge.provider("POST", sub["incomingUrl"], headers={"X-Hook-Secret": "asana-s3cret"})
    assert status == 200 and headers["X-Hook-Secret"] == "asana-s3cret"
    status, text, _ = await edge.provider("POST", sub["incomingUrl"], body=body, headers=signed("asana-s3cret"))
    assert status == 202, text
    status, text, _ = await edge.provider("POST", sub["incomingUrl"], body=body, headers=signed("other"))
    assert status == 401 and json.loads(text)["error"]["details"]["reason"] == "bad_signature"
    status, _, headers = await edge.provider("POST", sub["incomingUrl"], headers={"X-Hook-Secret": "replaced"})
    assert status == 401 and "X-Hook-Secret" not in headers
    status, _, headers = await edge.provider("POST", sub["incomingUrl"], headers={"X-Hook-Secret": "asana-s3cret"})
    assert status == 200 and headers["X-Hook-Secret"] == "asana-s3cret"
    status, listed = await edge.call("GET", "/connect/v1/webhooks/asana/subscriptions")
    assert status == 200 and "asana-s3cret" not in json.dumps(listed)

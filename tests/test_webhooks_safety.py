"""SSRF refusals and workspace isolation of endpoints, deliveries, event types and integration events."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import create_workspace, start_webhooks
from junction_common.testing.infra import eventually
from tests.api import call
from tests.receivers import receiver

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

PRIVATE = ["http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data/", "http://192.168.1.20:8080/x",
           "http://[::ffff:10.1.2.3]/x", "http://0.0.0.0:80/", "http://[fd00:ec2::254]/"]


async def _refused(http: Any, gw: str, key: str, url: str) -> None:
    status, body = await call(http, "POST", f"{gw}/v1/webhooks", key, {"url": url, "event_types": ["contact.created"]})
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR", (url, body)
    assert body["error"]["details"]["pointer"] == "/url"


async def test_private_targets_are_refused_and_redirects_not_followed(stack_settings, crm_service, webhooks_service,
                                                                      gateway, workspace, http) -> None:
    _, key = workspace
    gw = gateway.url
    for url in PRIVATE:
        await _refused(http, gw, key, url)
    status, body = await call(http, "GET", f"{gw}/v1/webhooks", key)
    assert body["data"] == []  # nothing was created by a refused request
    async with receiver() as rx:
        rx.script = [(302, {"Location": "http://169.254.169.254/latest/meta-data/"})]
        status, body = await call(http, "POST", f"{gw}/v1/webhooks", key,
                                  {"url": rx.url, "event_types": ["contact.created"]})
        assert status == 201, body
        endpoint = body["data"]
        status, body = await call(http, "PATCH", f"{gw}/v1/webhooks/{endpoint['id']}", key,
                                  {"url": "http://10.9.9.9/x"})
        assert status == 422 and body["error"]["details"]["pointer"] == "/url"
        status, body = await call(http, "POST", f"{gw}/v1/webhooks/{endpoint['id']}/test", key)
        assert status == 200

        async def two_attempts() -> list[dict[str, Any]]:
            _, body = await call(http, "GET", f"{gw}/v1/webhooks/{endpoint['id']}/deliveries", key)
            found = body["data"]
            return found if found and found[0]["attempt_count"] >= 2 else []

        [log] = await eventually(two_attempts)
        assert log["attempts"][0]["status_code"] == 302  # recorded as a failure, never followed
        assert log["status"] in ("retrying", "succeeded")
        assert len(rx.received) == log["attempt_count"]  # every request went to the receiver itself


async def test_production_policy_refuses_loopback_names_and_plain_http(stack_settings, crm_service, gateway,
                                                                       workspace, http) -> None:
    """With no allow-list (the production default) a name resolving to loopback is refused, as is http."""
    runtime = await start_webhooks(stack_settings, webhook_allow_networks="", webhook_require_https=True)
    try:
        _, key = workspace
        for url in ("https://localhost:8443/hook", "https://127.0.0.1/hook", "http://example.com/hook"):
            await _refused(http, gateway.url, key, url)
    finally:
        await runtime.stop()


async def test_one_workspace_never_sees_anothers_webhooks(stack_settings, crm_service, webhooks_service, gateway,
                                                          workspace, http) -> None:
    _, key_a = workspace
    _, key_b = await create_workspace(stack_settings.gateway, "Other", "business")
    gw = gateway.url
    async with receiver() as rx:
        status, body = await call(http, "POST", f"{gw}/v1/webhooks", key_a,
                                  {"url": rx.url, "event_types": ["contact.created"]})
        endpoint = body["data"]
        status, body = await call(http, "POST", f"{gw}/v1/integrations/events", key_a,
                                  {"key": "external.publish.completed", "category": "publishing"})
        assert status == 201, body
        status, body = await call(http, "POST", f"{gw}/v1/webhooks/{endpoint['id']}/test", key_a)
        delivery = body["data"]["id"]
        await eventually(lambda: _ready(rx))
        # B's contact never reaches A's endpoint.
        await call(http, "POST", f"{gw}/v1/contacts", key_b, {"name": "B person", "email": "b@example.com"})
        for method, path, payload in (
                ("GET", f"/v1/webhooks/{endpoint['id']}", None),
                ("PATCH", f"/v1/webhooks/{endpoint['id']}", {"status": "paused"}),
                ("DELETE", f"/v1/webhooks/{endpoint['id']}", None),
                ("POST", f"/v1/webhooks/{endpoint['id']}/test", None),
                ("GET", f"/v1/webhooks/{endpoint['id']}/deliveries", None),
                ("GET", f"/v1/webhooks/{endpoint['id']}/deliveries/{delivery}", None),
                ("POST", f"/v1/webhooks/{endpoint['id']}/deliveries/{delivery}/retry", None),
                ("GET", f"/v1/integrations/events/{delivery}", None),
                ("POST", f"/v1/integrations/events/{delivery}/retry", None),
                ("POST", f"/v1/integrations/events/{delivery}/cancel", None)):
            status, body = await call(http, method, gw + path, key_b, payload)
            assert status == 404 and body["error"]["code"] == "NOT_FOUND", (method, path, body)
        _, listed = await call(http, "GET", f"{gw}/v1/webhooks", key_b)
        assert listed["data"] == []
        _, found = await call(http, "POST", f"{gw}/v1/integrations/events/filter", key_b, {})
        assert found["data"] == [] and found["meta"]["total"] == 0
        _, types = await call(http, "GET", f"{gw}/v1/integrations/events?query=external", key_b)
        assert types["data"] == []
        _, mine = await call(http, "GET", f"{gw}/v1/webhooks/{endpoint['id']}", key_a)
        assert mine["data"]["status"] == "active"
        assert [r.json["type"] for r in rx.received] == ["webhook.test"]


async def _ready(rx: Any) -> bool:
    return bool(rx.received)

"""The webhooks service answers its own reads: only to calls the gateway signed for that request and caller, and
only with the caller's workspace's data."""

from __future__ import annotations

import pytest

from junction_common.identity import Principal
from junction_common.internal_auth import HEADER, sign

pytestmark = pytest.mark.integration

READS = [("GET", "/internal/v1/webhooks"), ("GET", "/internal/v1/webhooks/wh_missing"),
         ("GET", "/internal/v1/webhooks/wh_missing/deliveries"),
         ("GET", "/internal/v1/webhooks/wh_missing/deliveries/whd_missing"),
         ("GET", "/internal/v1/integrations/events"), ("POST", "/internal/v1/integrations/events/filter"),
         ("GET", "/internal/v1/integrations/events/whd_missing")]


def _caller(workspace_id: str) -> Principal:
    return Principal(workspace_id=workspace_id, key_id="key_test", role="admin",
                     scopes=frozenset({"integrations:read"}))


@pytest.mark.parametrize(("method", "path"), READS)
async def test_an_unsigned_or_anonymous_read_is_refused(webhooks_service, http, method: str, path: str) -> None:
    base, secret = webhooks_service.internal_url, webhooks_service.settings.internal_secret
    async with http.request(method, base + path, json={}) as resp:
        assert resp.status == 401
    for header in (sign(secret, "req_1", method, path, None),  # signed, but for no caller
                   sign("not-the-secret", "req_1", method, path, _caller("ws_a"))):
        async with http.request(method, base + path, json={}, headers={HEADER: header}) as resp:
            assert resp.status == 401


async def test_an_endpoint_is_read_only_by_its_own_workspace(webhooks_service, gateway, workspace, http) -> None:
    workspace_id, key = workspace
    async with http.post(f"{gateway.url}/v1/webhooks", headers={"Authorization": f"Bearer {key}"},
                         json={"url": "http://127.0.0.1:9/hook", "event_types": ["contact.created"]}) as resp:
        created = await resp.json()
        assert resp.status == 201, created
    base, secret = webhooks_service.internal_url, webhooks_service.settings.internal_secret
    path = f"/internal/v1/webhooks/{created['data']['id']}"
    for workspace, expected in ((workspace_id, 200), ("ws_someone_else", 404)):
        header = sign(secret, "req_2", "GET", path, _caller(workspace))
        async with http.get(base + path, headers={HEADER: header}) as resp:
            body = await resp.json()
            assert resp.status == expected, body
    assert body["error"]["code"] == "NOT_FOUND"
    header = sign(secret, "req_3", "GET", path, _caller(workspace_id))
    async with http.get(base + path, headers={HEADER: header}) as resp:
        shown = (await resp.json())["data"]
    assert shown["id"] == created["data"]["id"] and "secret_sealed" not in shown and "secret" not in shown

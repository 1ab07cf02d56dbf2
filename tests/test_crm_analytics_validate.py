"""POST /v1/analytics/events/validate reports every missing required property, unknown one and type mismatch."""

from __future__ import annotations

import pytest

from tests.api import call

pytestmark = pytest.mark.integration


async def test_validate_payloads_against_definitions(gateway, crm_service, workspace, http):
    _, key = workspace
    base = f"{gateway.url}/v1/analytics"
    for prop in ({"key": "tenant_id", "type": "string", "required": True},
                 {"key": "workspace_id", "type": "string", "required": True},
                 {"key": "seats", "type": "integer"}):
        status, body = await call(http, "POST", f"{base}/properties", key, prop)
        assert status == 201, body
    status, body = await call(http, "POST", f"{base}/events", key,
                              {"name": "first_contact_created", "properties": ["tenant_id", "workspace_id", "seats"]})
    assert status == 201, body
    good = {"name": "first_contact_created", "properties": {"tenant_id": "ten_1", "workspace_id": "wrk_1"}}
    status, body = await call(http, "POST", f"{base}/events/validate", key, good)
    assert status == 200 and body["data"]["valid"] is True and body["data"]["errors"] == []
    bad = {"name": "first_contact_created", "properties": {"tenant_id": 7, "seats": 2.5, "source": "mcp"}}
    _, body = await call(http, "POST", f"{base}/events/validate", key, bad)
    found = {(e["code"], e["property"]) for e in body["data"]["errors"]}
    assert body["data"]["valid"] is False
    assert found == {("missing_required_property", "workspace_id"), ("type_mismatch", "tenant_id"),
                     ("type_mismatch", "seats"), ("unknown_property", "source")}
    _, body = await call(http, "POST", f"{base}/events/validate", key, {"name": "never_defined", "properties": {}})
    assert body["data"]["errors"][0]["code"] == "unknown_event"

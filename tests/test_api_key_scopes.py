"""A key is given only scopes Junction knows: those its operations require (the catalogue's and the gateway's own
routes'), their `family:action` forms, and the documented wildcards (`*`, `*:read`, `crm:*`). Anything else is a
422 VALIDATION_ERROR that names the scope, with a pointer to it."""

from __future__ import annotations

import pytest

from gateway.catalogue import load_operations
from tests.api import call

pytestmark = pytest.mark.integration

DOCUMENTED_FORMS = ["*", "*:read", "*:write", "crm:*", "crm:read", "flows.view", "flows:read", "records.write",
                    "pipelines:admin", "api_keys:write", "members:*", "bi:write"]


async def test_an_unknown_scope_is_refused_by_name(gateway, crm_service, workspace, http):
    _, owner = workspace
    url = f"{gateway.url}/v1/api-keys"
    status, body = await call(http, "POST", url, owner, {"name": "teleporter", "scopes": ["crm:teleport"]})
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR", body
    assert "crm:teleport" in body["error"]["message"]
    [detail] = body["error"]["details"]
    assert detail["pointer"] == "/scopes/0" and detail["scope"] == "crm:teleport"
    status, body = await call(http, "POST", url, owner, {"name": "mixed", "scopes": ["crm:read", "telepathy:read",
                                                                                     "flows.teleport"]})
    assert status == 422 and [d["pointer"] for d in body["error"]["details"]] == ["/scopes/1", "/scopes/2"], body
    _, listed = await call(http, "GET", url, owner)
    assert {k["name"] for k in listed["data"]} == {"owner"}  # nothing was created


async def test_every_scope_an_operation_requires_and_the_documented_wildcards_are_accepted(
        gateway, crm_service, workspace, http):
    _, owner = workspace
    url = f"{gateway.url}/v1/api-keys"
    required = sorted({s for op in load_operations() for s in op.scopes})
    for i in range(0, len(required), 50):
        status, body = await call(http, "POST", url, owner, {"name": f"ops-{i}", "scopes": required[i:i + 50]})
        assert status == 201, body
    status, body = await call(http, "POST", url, owner, {"name": "forms", "scopes": DOCUMENTED_FORMS})
    assert status == 201 and body["data"]["scopes"] == sorted(DOCUMENTED_FORMS), body
    status, body = await call(http, "POST", url, owner, {"name": "crm-all", "scopes": ["crm:*"]})
    status, _ = await call(http, "GET", f"{gateway.url}/v1/contacts", body["data"]["key"])
    assert status == 200  # a wildcard key works as documented

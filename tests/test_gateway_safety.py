"""Request hygiene: oversize bodies, deep JSON, wrong content types and smuggled operators change nothing."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration


async def assert_refused(resp, status: int) -> dict:
    body = await resp.json()
    assert resp.status == status, body
    assert body["success"] is False and body["error"]["code"] == "VALIDATION_ERROR"
    assert body["request_id"] and body["request_id"] == resp.headers["X-Request-Id"]
    return body


async def test_bad_requests_are_refused_and_change_nothing(gateway, crm_service, workspace, http):
    _, key = workspace
    auth = {"Authorization": f"Bearer {key}"}
    url = f"{gateway.url}/v1/contacts"
    huge = json.dumps({"name": "x" * (gateway.settings.max_body_bytes + 10)})
    async with http.post(url, data=huge, headers={**auth, "Content-Type": "application/json"}) as resp:
        await assert_refused(resp, 413)
    deep = "[" * 40 + "]" * 40
    async with http.post(url, data=json.dumps({"name": "a", "custom_fields": {"x": json.loads(deep)}}),
                         headers={**auth, "Content-Type": "application/json"}) as resp:
        await assert_refused(resp, 422)
    async with http.post(url, data="name=Jane", headers={**auth, "Content-Type": "application/x-www-form-urlencoded"}
                         ) as resp:
        await assert_refused(resp, 415)
    for query in ("company_id[$ne]=x", "$where=1", "a.b=1"):
        async with http.get(f"{url}?{query}", headers=auth) as resp:
            body = await assert_refused(resp, 422)
            assert body["error"]["details"][0]["pointer"].startswith("/query/")
    async with http.get(url, headers=auth) as resp:
        assert resp.status == 200 and (await resp.json())["data"] == []
        assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["X-Content-Type-Options"] == "nosniff"


async def test_caller_request_id_is_echoed_when_well_formed(gateway, crm_service, workspace, http):
    _, key = workspace
    headers = {"Authorization": f"Bearer {key}", "X-Request-Id": "my-trace-123"}
    async with http.get(f"{gateway.url}/v1/contacts", headers=headers) as resp:
        assert resp.headers["X-Request-Id"] == "my-trace-123" and (await resp.json())["request_id"] == "my-trace-123"
        assert len(resp.headers["X-Trace-Id"]) == 32
    headers["X-Request-Id"] = "bad id with spaces" + "x" * 80
    async with http.get(f"{gateway.url}/v1/contacts", headers=headers) as resp:
        assert resp.headers["X-Request-Id"].startswith("req_")

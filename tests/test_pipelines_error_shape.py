"""Errors the gateway itself raises on pipelines-api paths leave in pipelines-api's own shape
`{"success": false, "code", "message", "details"?, "request_id"}`; `/v1` errors keep the `/v1` envelope."""

from __future__ import annotations

from typing import Any

import pytest

from junction_common.web.errors import error_payload, shape_for
from tests.test_gateway_catalogue import business_workspace, make_key

pytestmark = pytest.mark.integration

Result = tuple[int, Any, dict[str, Any]]


async def request(http: Any, url: str, method: str, key: str | None, json: Any = None) -> Result:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    options = {"json": json} if json is not None else {}
    async with http.request(method, url, headers=headers, **options) as resp:
        return resp.status, resp.headers.copy(), await resp.json(content_type=None)


def assert_pipelines_error(result: Result, status: int, code: str) -> dict[str, Any]:
    got, headers, body = result
    assert (got, body.get("code")) == (status, code), body
    assert body["success"] is False and "error" not in body and body["message"]
    assert set(body) - {"details"} == {"success", "code", "message", "request_id"}
    assert body["request_id"] and headers["X-Request-Id"] == body["request_id"]
    return body


def assert_v1_error(result: Result, status: int, code: str) -> dict[str, Any]:
    got, headers, body = result
    assert (got, body.get("error", {}).get("code")) == (status, code), body
    assert body["success"] is False and set(body) == {"success", "error", "request_id"}
    assert set(body["error"]) == {"code", "message", "details"} and body["error"]["message"]
    assert body["request_id"] and headers["X-Request-Id"] == body["request_id"]
    return dict(body["error"])


def test_the_shape_is_chosen_by_path_prefix() -> None:
    assert shape_for("/api/pipelines") == shape_for("/api/pipelines/connections/x1") == "pipelines"
    assert {shape_for(p) for p in ("/v1/contacts", "/connect/v1/providers", "/api/pipelinesx", "/")} == {"v1"}
    assert error_payload("/api/pipelines/cron", "NOT_FOUND", "gone", None, "req_1") == {
        "success": False, "code": "NOT_FOUND", "message": "gone", "request_id": "req_1"}
    assert error_payload("/v1/contacts", "NOT_FOUND", "gone", None, "req_1") == {
        "success": False, "error": {"code": "NOT_FOUND", "message": "gone", "details": None}, "request_id": "req_1"}


async def test_gateway_errors_on_pipelines_paths_use_the_pipelines_shape(gateway, http, stack_settings):
    workspace_id, owner = await business_workspace(stack_settings.gateway)
    base = gateway.url + "/api/pipelines"

    body = assert_pipelines_error(await request(http, f"{base}/connections", "GET", None), 401, "UNAUTHORIZED")
    assert "details" not in body

    no_scope = await make_key(stack_settings.gateway, workspace_id, "MEMBER", ["contacts:read"])
    result = await request(http, f"{base}/connections", "GET", no_scope)
    body = assert_pipelines_error(result, 403, "FORBIDDEN")
    assert body["details"]["required_scopes"]

    result = await request(http, f"{base}/connections", "POST", owner, json={})
    body = assert_pipelines_error(result, 422, "VALIDATION_ERROR")
    assert {d["pointer"] for d in body["details"]} >= {"/name", "/type", "/credentials"}

    # The sync service is not running here: the edge's 503 is in the pipelines shape too.
    result = await request(http, f"{base}/run-all", "POST", owner, json={})
    assert_pipelines_error(result, 503, "SERVICE_UNAVAILABLE")
    assert result[1].get("Retry-After")

    result = await request(http, f"{base}/connections?status[$ne]=x", "GET", owner)
    assert_pipelines_error(result, 422, "VALIDATION_ERROR")  # the safety middleware's refusal
    async with http.post(f"{base}/connections", data=b"x=1", headers={"Authorization": f"Bearer {owner}",
                                                                     "Content-Type": "text/plain"}) as resp:
        assert_pipelines_error((resp.status, resp.headers.copy(), await resp.json()), 415, "VALIDATION_ERROR")

    assert_pipelines_error(await request(http, f"{base}/no-such-thing", "GET", owner), 404, "NOT_FOUND")


async def test_v1_errors_keep_the_v1_envelope(gateway, http, stack_settings):
    workspace_id, owner = await business_workspace(stack_settings.gateway)
    assert_v1_error(await request(http, gateway.url + "/v1/contacts", "GET", None), 401, "UNAUTHORIZED")
    no_scope = await make_key(stack_settings.gateway, workspace_id, "MEMBER", ["pipelines:read"])
    error = assert_v1_error(await request(http, gateway.url + "/v1/contacts", "GET", no_scope), 403, "FORBIDDEN")
    assert error["details"]
    result = await request(http, gateway.url + "/v1/contacts?status[$ne]=x", "GET", owner)
    assert_v1_error(result, 422, "VALIDATION_ERROR")
    result = await request(http, gateway.url + "/connect/v1/providers", "GET", None)
    assert_v1_error(result, 401, "UNAUTHORIZED")

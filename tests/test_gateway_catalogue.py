"""Every operation of the five references is routed by the real gateway: refused without a live key, refused
without its scope (or role), and — for the ones no service implements yet — an honest 501 for a caller who may."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from conftest import RunningGateway, start_gateway
from gateway.catalogue import Operation, load_operations, path_shape
from gateway.settings import GatewaySettings
from junction_common.envelope import utcnow
from junction_common.identity import IdentityStore, hash_key
from junction_common.mongo import create_client
from junction_common.workspaces import create_workspace

pytestmark = pytest.mark.integration

OPS = load_operations()
KEYED = [op for op in OPS if op.requires_api_key]
Result = tuple[int, dict[str, Any], Any]


@contextlib.asynccontextmanager
async def identity(settings: GatewaySettings) -> AsyncIterator[IdentityStore]:
    client = create_client(settings)
    try:
        store = IdentityStore(client[settings.db_name("identity")], settings.signing_secret)
        await store.ensure_indexes()
        yield store
    finally:
        await client.close()


async def make_key(settings: GatewaySettings, workspace_id: str, role: str, scopes: list[str] | None,
                   expired: bool = False) -> str:
    async with identity(settings) as store:
        key = await store.create_key(workspace_id, f"{role.lower()}-test", role, scopes, utcnow())
        if expired:
            await store.keys.update_one({"key_hash": hash_key(key, settings.signing_secret)},
                                        {"$set": {"expires_at": utcnow() - timedelta(hours=1)}})
        return key


async def business_workspace(settings: GatewaySettings, workspace_id: str | None = None) -> tuple[str, str | None]:
    """A workspace on the business plan (600 requests a minute), so one pass over the catalogue fits its limit."""
    async with identity(settings) as store:
        key = None
        if workspace_id is None:
            workspace, key = await create_workspace(settings, "Catalogue", "business")
            workspace_id = workspace["_id"]
        await store.workspaces.update_one({"_id": workspace_id}, {"$set": {"plan": "business"}})
        return workspace_id, key


def concrete(path: str) -> str:
    return path_shape(path).replace("{}", "x1")


async def call(http: Any, base: str, op: Operation, key: str | None, path: str | None = None) -> Result:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = {"json": {}} if op.body else {}
    url = base + concrete(path or op.path)
    async with http.request(op.method, url, headers=headers, allow_redirects=False, **body) as resp:
        return resp.status, resp.headers.copy(), await resp.json(content_type=None)


def assert_error(result: Result, status: int, code: str, op: Operation) -> dict[str, Any]:
    """The error in its API's shape: pipelines-api's own `{success, code, message, details?, request_id}` under
    `/api/pipelines`, the `/v1` envelope elsewhere; returned as `{code, message, details}`."""
    got, headers, body = result
    assert body["success"] is False and body["request_id"] and headers["X-Request-Id"] == body["request_id"]
    if op.path.startswith("/api/pipelines/"):
        assert (got, body.get("code")) == (status, code), (op.method, op.path, got, body)
        assert set(body) - {"details"} == {"success", "code", "message", "request_id"} and body["message"]
        return {"code": body["code"], "message": body["message"], "details": body.get("details")}
    assert (got, body.get("error", {}).get("code")) == (status, code), (op.method, op.path, got, body)
    assert set(body) == {"success", "error", "request_id"}
    assert set(body["error"]) == {"code", "message", "details"} and body["error"]["message"]
    return dict(body["error"])


def assert_not_implemented(result: Result, op: Operation) -> None:
    error = assert_error(result, 501, "NOT_IMPLEMENTED", op)
    assert error["details"] == {"operation_id": op.operation_id, "service": op.service}
    assert error["message"] == f"{op.operation_id} is not available yet: the {op.service} service is not built"
    assert (result[1].get("Cache-Control") == "no-store") == op.no_store, op.operation_id


async def unbuilt(http: Any, base: str) -> set[str]:
    """Operation ids the gateway answers with the catalogue's 501 (its OpenAPI says `x-implemented: false`)."""
    async with http.get(f"{base}/openapi.json") as resp:
        spec = await resp.json()
    return {o["operationId"] for item in spec["paths"].values() for o in item.values()
            if isinstance(o, dict) and o.get("x-implemented") is False}


async def test_missing_invalid_and_expired_credentials_are_401(gateway, workspace, http, stack_settings):
    workspace_id, _ = workspace
    expired = await make_key(stack_settings.gateway, workspace_id, "OWNER", None, expired=True)
    credentials = {"none": None, "unknown": "jk_live_" + "A" * 43, "malformed": "not-a-key", "expired": expired}
    stubs = await unbuilt(http, gateway.url)
    for op in OPS:
        for label, key in credentials.items():
            result = await call(http, gateway.url, op, key)
            if op.requires_api_key:
                assert_error(result, 401, "UNAUTHORIZED", op)
                assert result[1]["WWW-Authenticate"] == "Bearer", (label, op.operation_id)
            elif op.operation_id in stubs:  # the token in the path or the OAuth state is the credential
                assert_not_implemented(result, op)
            elif op.auth == "webhook_token":  # served: no key asked for; forwarded to its service (not run here)
                assert result[0] not in (401, 501), (label, op.operation_id, result)
            else:  # served: no API key asked for; without its own credential (here no state) it is refused
                assert_error(result, 422, "VALIDATION_ERROR", op)


async def test_a_key_without_the_operations_scope_is_403(gateway, workspace, http, stack_settings):
    workspace_id, _ = await business_workspace(stack_settings.gateway, workspace[0])
    key = await make_key(stack_settings.gateway, workspace_id, "MEMBER", ["nothing:read"])
    stubs = await unbuilt(http, gateway.url)
    for op in KEYED:
        error = assert_error(await call(http, gateway.url, op, key), 403, "FORBIDDEN", op)
        if op.operation_id in stubs:
            assert error["details"] == {"required_scopes": list(op.scopes), "any_of": op.scopes_any}


@pytest_asyncio.fixture
async def bare_gateway(stack_settings) -> AsyncIterator[RunningGateway]:
    """A gateway told that no service serves any catalogued operation: each answers 501 once the caller passed
    its checks, so a test sees the scope check of every operation whichever services are built."""
    async with start_gateway(stack_settings.gateway, served={}) as running:
        yield running


async def test_a_key_with_exactly_the_documented_scopes_gets_through(bare_gateway, http, stack_settings):
    """Scopes and Connect permission keys (`flows.view`, `records.write`) are granted one set at a time."""
    gateway = bare_gateway
    workspace_id, _ = await business_workspace(stack_settings.gateway)
    stubs = await unbuilt(http, gateway.url)
    ops = [op for op in KEYED if op.operation_id in stubs and not op.admin_only]
    keys: dict[tuple[str, ...], str] = {}
    for op in ops:
        needed = op.scopes[-1:] if op.scopes_any else op.scopes  # any one of several is enough
        if needed not in keys:
            keys[needed] = await make_key(stack_settings.gateway, workspace_id, "MEMBER", list(needed))
        assert_not_implemented(await call(http, gateway.url, op, keys[needed]), op)
    # Every unbuilt operation was exercised; the count shrinks as services implement operations.
    assert ops and len(keys) > 10


async def test_a_viewer_reads_but_does_not_write(bare_gateway, http, stack_settings):
    gateway = bare_gateway
    workspace_id, _ = await business_workspace(stack_settings.gateway)
    viewer = await make_key(stack_settings.gateway, workspace_id, "VIEWER", None)
    stubs = await unbuilt(http, gateway.url)
    for op in KEYED:
        if op.operation_id not in stubs:
            continue
        read_scopes = [s.endswith((":read", ".view")) for s in op.scopes]
        reads = any(read_scopes) if op.scopes_any else all(read_scopes)
        result = await call(http, gateway.url, op, viewer)
        if reads:
            assert_not_implemented(result, op)
        else:
            assert_error(result, 403, "FORBIDDEN", op)


async def test_admin_only_pipelines_operations_need_owner_or_admin(gateway, http, stack_settings):
    workspace_id, _ = await business_workspace(stack_settings.gateway)
    scopes = ["pipelines:read", "pipelines:write", "pipelines:admin"]
    member = await make_key(stack_settings.gateway, workspace_id, "MEMBER", scopes)
    admin = await make_key(stack_settings.gateway, workspace_id, "ADMIN", None)
    admin_ops = [op for op in OPS if op.admin_only]
    assert len(admin_ops) == 5
    stubs = await unbuilt(http, gateway.url)
    for op in admin_ops:
        error = assert_error(await call(http, gateway.url, op, member), 403, "FORBIDDEN", op)
        assert error["details"] == {"required_roles": ["OWNER", "ADMIN"], "role": "MEMBER"}
        if op.operation_id in stubs:
            assert_not_implemented(await call(http, gateway.url, op, admin), op)
        else:  # served: the admin gets past the role check (whatever the owning service then answers)
            assert (await call(http, gateway.url, op, admin))[0] not in (401, 403), op.operation_id


async def test_the_owner_reaches_every_unbuilt_operation_and_gets_501(gateway, workspace, http, stack_settings):
    _, owner = workspace
    await business_workspace(stack_settings.gateway, workspace[0])
    stubs = await unbuilt(http, gateway.url)
    implemented = {op.operation_id for op in OPS} - stubs
    assert {"listContacts", "createContact"} <= implemented
    for op in OPS:
        if op.operation_id in implemented:
            continue
        assert_not_implemented(await call(http, gateway.url, op, owner), op)
        for alias in op.path_aliases:
            assert_not_implemented(await call(http, gateway.url, op, owner, alias), op)


async def test_openapi_documents_every_operation_with_its_scopes(gateway, http):
    async with http.get(f"{gateway.url}/openapi.json") as resp:
        assert resp.status == 200
        spec = await resp.json()
    found = {o["operationId"]: (method.upper(), path, o) for path, item in spec["paths"].items()
             for method, o in item.items() if isinstance(o, dict) and "operationId" in o}
    for op in OPS:
        assert op.operation_id in found, op.operation_id
        method, path, doc = found[op.operation_id]
        assert (method, path_shape(path)) == op.key
        assert doc["x-required-scopes"] == list(op.scopes) and doc["x-seeds"] == list(op.seeds)
        assert doc["x-idempotency"] == op.idempotency and doc["x-service"] == op.service
        if doc["x-implemented"] is not False:
            continue
        assert path == op.path and doc["summary"] == op.summary and doc["tags"] == [op.tag]
        params = {p["name"] for p in doc.get("parameters", []) if p["in"] == "path"}
        assert params == set(op.path_params), op.operation_id
        assert ("Idempotency-Key" in {p["name"] for p in doc.get("parameters", [])}) == op.idempotency
        assert {"401", "403", "422", "429", "501"} <= set(doc["responses"])
        media = doc["responses"].get("200", {}).get("content", {}).get("application/json", {})
        if op.response_example is not None:
            shown = media.get("example", media.get("examples", {}).get(op.seed, {}).get("value"))
            assert shown == op.response_example, op.operation_id
        body = doc.get("requestBody", {}).get("content", {}).get("application/json", {})
        assert bool(body) == op.body, op.operation_id
        if op.request_example is not None:
            shown = body.get("example", body.get("examples", {}).get(op.seed, {}).get("value"))
            assert shown == op.request_example, op.operation_id

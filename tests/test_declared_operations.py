"""A catalogued operation a service declares it serves is forwarded to that service; the rest still answer 501.

The service here is a small internal API built with the same mechanism every service uses (create_internal_app,
served by uvicorn): it answers `GET /internal/connect/v1/providers` with who the gateway said was calling. The
gateway has no code for this operation: it learns of it from the declaration alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import aiohttp
import pytest
import pytest_asyncio
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from conftest import create_workspace, isolated_stack, start_gateway
from junction_common.contracts.operations import Route, Served
from junction_common.identity import Principal
from junction_common.internal_api import caller, create_internal_app
from junction_common.mongo import create_client
from junction_common.web.envelope import json_response, ok_body, request_id_of
from junction_common.web.inloop_server import InternalServer
from tests.api import call

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


class ProviderQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(default=None, max_length=40)


def probe_router() -> APIRouter:
    router = APIRouter(prefix="/internal")

    @router.get("/connect/v1/providers")
    async def providers(request: Request, principal: Annotated[Principal, Depends(caller)]) -> Any:
        data = {"workspace_id": principal.workspace_id, "category": request.query_params.get("category")}
        return json_response(ok_body(data, request_id_of(request)))

    @router.post("/connect/v1/probe-extension/{name}")
    async def extension(name: str, principal: Annotated[Principal, Depends(caller)]) -> Any:
        return json_response(ok_body({"name": name, "role": principal.role}, "req"), status=201)

    return router


EXTENSION = Served("probeExtension", "connections", route=Route(
    "POST", "/connect/v1/probe-extension/{name}", "A probe of Junction's own", "Probe", ("providers:write",),
    admin_only=True))


@pytest_asyncio.fixture(scope="module")
async def edge() -> AsyncIterator[tuple[str, str, str]]:
    """(gateway url, an API key, the probe service's url)."""
    async with isolated_stack() as stack:
        client = create_client(stack.gateway)
        probe_app = create_internal_app("probe", stack.gateway.internal_secret, client["probe"], [probe_router()])
        probe = InternalServer(probe_app, "127.0.0.1", 0)
        await probe.start()
        settings = stack.gateway.model_copy(update={
            "service_urls": {**stack.gateway.service_urls, "connections": probe.url}})
        served = {"listProviders": Served("listProviders", "connections", query=ProviderQuery),
                  "probeExtension": EXTENSION}
        async with start_gateway(settings, served=served) as gateway:
            try:
                _, key = await create_workspace(stack.gateway, plan="business")
                yield gateway.url, key, probe.url
            finally:
                await probe.stop()
                await client.close()


async def test_a_declared_operation_reaches_its_service_for_the_caller(edge: tuple[str, str, str]) -> None:
    base, key, _ = edge
    async with aiohttp.ClientSession() as http:
        status, body = await call(http, "GET", base + "/connect/v1/providers?category=CRM", key)
        assert status == 200, body
        assert body["data"]["category"] == "CRM" and body["data"]["workspace_id"].startswith("wrk_")
        assert body["request_id"]  # the gateway's request id travelled with the call


async def test_the_edge_still_checks_the_caller_and_the_declared_query(edge: tuple[str, str, str]) -> None:
    base, key, _ = edge
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/connect/v1/providers") as resp:
            assert resp.status == 401
        status, body = await call(http, "GET", base + "/connect/v1/providers?category=" + "x" * 41, key)
        assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR"
        # An operation nobody declared still answers 501.
        status, body = await call(http, "GET", base + "/connect/v1/providers/hubspot", key)
        assert status == 501 and body["error"]["code"] == "NOT_IMPLEMENTED"
        async with http.get(base + "/openapi.json") as resp:
            spec = (await resp.json())["paths"]["/connect/v1/providers"]["get"]
        assert spec["x-implemented"] is True and spec["operationId"] == "listProviders"


async def test_the_service_refuses_a_call_that_did_not_come_through_the_gateway(edge: tuple[str, str, str]) -> None:
    _, _, probe = edge
    async with aiohttp.ClientSession() as http, http.get(probe + "/internal/connect/v1/providers") as resp:
        assert resp.status == 401


async def test_an_operation_of_junctions_own_is_routed_from_its_declared_route(edge: tuple[str, str, str]) -> None:
    base, key, _ = edge
    async with aiohttp.ClientSession() as http:
        status, body = await call(http, "POST", base + "/connect/v1/probe-extension/abc", key)
        assert status == 201 and body["data"] == {"name": "abc", "role": "OWNER"}
        async with http.post(base + "/connect/v1/probe-extension/abc") as resp:
            assert resp.status == 401
        async with http.get(base + "/openapi.json") as resp:
            spec = (await resp.json())["paths"]["/connect/v1/probe-extension/{name}"]["post"]
        assert spec["x-seeds"] == ["junction"] and spec["x-admin-only"] is True


def test_an_extension_may_not_take_a_documented_route() -> None:
    from gateway.catalogue import extension_operations
    clash = Served("myProviders", "connections", route=Route("GET", "/connect/v1/providers", "x", "x", ("a:read",)))
    with pytest.raises(ValueError, match="documented"):
        extension_operations({"myProviders": clash})
    assert [op.path for op in extension_operations({"probeExtension": EXTENSION})] == [EXTENSION.route.path]


class Delivery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: str


TOKEN_ROUTE = Served("probeTokenHook", "connections", body=Delivery, route=Route(
    "POST", "/connect/v1/probe-hooks/{token}", "A token in the path is the credential", "Probe", (),
    auth="webhook_token"))


async def test_a_refused_token_call_is_logged_with_its_token_cut_short(stack_settings, capfd) -> None:
    """The body is refused at the edge (422) before any endpoint runs: the log line still shows the token short."""
    token = "tok" + "Z" * 40
    async with start_gateway(stack_settings.gateway, served={"probeTokenHook": TOKEN_ROUTE}) as gateway:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{gateway.url}/connect/v1/probe-hooks/{token}", json={"nope": 1}) as resp:
                assert resp.status == 422
    logged = capfd.readouterr().out
    assert "/connect/v1/probe-hooks/tokZZZ" in logged and token not in logged

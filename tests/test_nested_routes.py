"""A route under a parent (`/v1/support/tickets/{ticket_id}/messages`, `/v1/leads/{lead_id}/convert`, ...) answers
404 NOT_FOUND when the parent is not in the caller's workspace (missing, or another workspace's), on every method
and before anything else is checked: an invalid body is not looked at.

The routes come from the gateway's own OpenAPI document (every path with a segment after a parameter that a
service implements; catalogued operations no service serves yet answer 501 and are left out), so a nested route
added tomorrow is tested tomorrow (and fails here until the test knows how to make its parent).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from conftest import (
    create_workspace,
    isolated_stack,
    start_connections,
    start_flows,
    start_gateway,
    start_sync,
    start_webhooks,
)
from crm.main import create_spec
from gateway.catalogue import load_operations
from gateway.main import create_app
from gateway.settings import GatewaySettings
from junction_common.service import ServiceRuntime
from junction_common.testing.infra import isolated
from tests.api import call

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]
_NESTED = re.compile(r"\{[A-Za-z_]+\}/[^{]")
_PARAM = re.compile(r"\{([A-Za-z_]+)\}")
BAD_BODY = {"not_a_field": True}
# How each parent (by path parameter) is made in a workspace: (method, path, body, path to its id in the answer).
PARENTS: dict[str, tuple[str, str, Any]] = {
    "ticket_id": ("POST", "/v1/support/tickets", {"subject": "Cannot log in"}),
    "lead_id": ("POST", "/v1/leads", {"name": "Priya Shah"}),
    "asset_id": ("POST", "/v1/assets", {"asset_type": "document", "file_name": "a.pdf",
                                        "mime_type": "application/pdf"}),
    "webhook_id": ("POST", "/v1/webhooks", {"name": "Hook", "url": "http://127.0.0.1:9/hook",
                                            "event_types": ["contact.created"]}),
    # A test event's delivery is an integration event; both names stand for the same record.
    "delivery_id": ("POST", "/v1/webhooks/{webhook_id}/test", None),
    "eventId": ("POST", "/v1/webhooks/{webhook_id}/test", None),
}
# A parameter with a generic name (`{id}`) names its parent by the path before it.
PARENTS |= {
    "/v1/forms/{id}": ("POST", "/v1/forms", {"name": "Contact Form", "fields": [
        {"name": "email", "type": "email", "required": True}]}),
    "/v1/workflows/{id}": ("POST", "/v1/workflows", {"name": "New Workflow", "nodes": [
        {"id": "start", "type": "trigger", "config": {"kind": "manual"}}], "edges": []}),
    "/v1/executions/{id}": ("POST", "/v1/workflows/{workflow}/execute", {"input": {}}),
    "integrationId": ("POST", "/v1/integrations", {"service": "klaviyo", "enabled": True, "name": "Klaviyo",
                                                   "settings": {"apiKey": "pk_test"}}),
    "/v1/integrations/{id}": ("POST", "/v1/integrations", {"service": "klaviyo", "enabled": True, "name": "Klaviyo",
                                                           "settings": {"apiKey": "pk_test"}}),
}
MISSING = {"ticket_id": "ticket_missing", "lead_id": "lead_missing", "asset_id": "asset_missing",
           "webhook_id": "wh_missing", "delivery_id": "whd_missing", "eventId": "whd_missing",
           "/v1/forms/{id}": "form_missing", "/v1/workflows/{id}": "wf_missing", "/v1/executions/{id}": "exe_missing",
           "integrationId": "int_missing",
           "/v1/integrations/{id}": "int_missing"}
# Operations a service serves behind the edge check their models at the edge first (scope, then body); there the
# documented request example is sent, so that what is tested is the parent: another workspace's is never found.
FORWARDED = {(op.method, op.path): op.request_example for op in load_operations()
             if op.service in ("connections", "sync", "flows")}


def parent_key(template: str, param: str) -> str:
    """How a path parameter's parent is known: by its name, or by the path up to it when the name is generic."""
    prefix = template[: template.index("{" + param + "}") + len(param) + 2]
    return prefix if prefix in PARENTS else param


def nested_routes() -> list[tuple[str, str]]:
    """(method, path) of every implemented `/v1` route below a path parameter, from the gateway's OpenAPI document.

    `/connect/v1` and `/api/pipelines` routes are below provider types (the catalogue's, not a workspace's) or
    pipelines connections, in their own answer shapes: tests/test_connections_credentials.py checks that one
    workspace can neither see nor change another's connections.
    """
    schema = create_app(isolated(GatewaySettings)).openapi()
    return sorted((method.upper(), path) for path, item in schema["paths"].items()
                  if path.startswith("/v1/") and _NESTED.search(path)
                  for method, spec in item.items() if isinstance(spec, dict) and spec.get("x-implemented") is not False)


ROUTES = nested_routes()


def test_the_nested_routes_are_found() -> None:
    """Guards the enumeration itself: the documented nested routes of the workspace API are among the cases."""
    assert {("GET", "/v1/support/tickets/{ticket_id}/messages"), ("POST", "/v1/support/tickets/{ticket_id}/comments"),
            ("POST", "/v1/leads/{lead_id}/convert"), ("POST", "/v1/assets/{asset_id}/complete"),
            ("GET", "/v1/webhooks/{webhook_id}/deliveries")} <= set(ROUTES)
    unknown = {parent_key(path, p) for _, path in ROUTES for p in _PARAM.findall(path)} - set(PARENTS)
    assert not unknown, f"teach this test to make parents named {unknown}"


@dataclass
class Space:
    http: aiohttp.ClientSession
    base: str
    key: str
    parents: dict[str, str] = field(default_factory=dict)

    async def parent(self, param: str) -> str:
        if param not in self.parents:
            method, path, body = PARENTS[param]
            if "{webhook_id}" in path:
                path = path.replace("{webhook_id}", await self.parent("webhook_id"))
            if "{workflow}" in path:
                path = path.replace("{workflow}", await self.parent("/v1/workflows/{id}"))
            status, answer = await call(self.http, method, self.base + path, self.key, body)
            assert status in (200, 201, 202), (param, answer)
            data = answer["data"]
            self.parents[param] = data.get("id") or data.get("executionId") or data["execution_id"]
        return self.parents[param]

    async def path(self, template: str) -> str:
        for param in _PARAM.findall(template):
            template = template.replace(f"{{{param}}}", await self.parent(parent_key(template, param)))
        return template


@dataclass
class Stack:
    mine: Space
    other: Space


@pytest_asyncio.fixture(scope="module")
async def stack() -> AsyncIterator[Stack]:
    async with isolated_stack() as names, aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        crm = ServiceRuntime(create_spec(), names.crm)
        await crm.start()
        webhooks = await start_webhooks(names)
        others = [await start_connections(names), await start_sync(names), await start_flows(names)]
        try:
            async with start_gateway(names.gateway) as gateway:
                spaces = [Space(http, gateway.url, (await create_workspace(names.gateway, n, "business"))[1])
                          for n in ("Mine", "Other")]
                yield Stack(*spaces)
        finally:
            for runtime in others:
                await runtime.stop()
            await webhooks.stop()
            await crm.stop()


def _body(method: str, template: str) -> Any:
    if (method, template) in FORWARDED:
        return FORWARDED[(method, template)] or ({} if method in ("POST", "PUT", "PATCH") else None)
    return BAD_BODY if method in ("POST", "PUT", "PATCH") else None


@pytest.mark.parametrize(("method", "template"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
async def test_a_parent_outside_the_workspace_is_not_found_first(stack: Stack, method: str, template: str) -> None:
    mine = stack.mine
    missing = _PARAM.sub(lambda m: MISSING[parent_key(template, m.group(1))], template)
    for path in (missing, await stack.other.path(template)):
        status, answer = await call(mine.http, method, mine.base + path, mine.key, _body(method, template))
        assert status == 404 and answer["error"]["code"] == "NOT_FOUND", (method, path, answer)
    # Its own parent: the route is reached (a body, when the route takes one, is then validated).
    status, answer = await call(mine.http, method, mine.base + await mine.path(template), mine.key,
                                _body(method, template))
    assert status != 404, (method, template, answer)

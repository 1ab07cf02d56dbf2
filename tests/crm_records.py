"""For declarative CRM tests that run many small cases against one stack: a module-wide crm service and gateway
with two workspaces, and a minimal valid body for each resource that creates the records it needs first.

`BODIES` has a create body for every declared resource a test may create or link to; a `Need` in it is replaced
by the id of a record of that resource in the same workspace (made once per workspace).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest_asyncio

from conftest import create_workspace, isolated_stack, start_gateway
from crm.main import create_spec
from crm_contracts.crm import CRM_RESOURCES
from junction_common.service import ServiceRuntime
from tests.api import call

BY_NAME = {c.name: c for c in CRM_RESOURCES}
PATHS = {"contact": "/v1/contacts", **{c.name: c.path for c in CRM_RESOURCES}}
PREFIXES = {"contact": "con", **{c.name: c.prefix for c in CRM_RESOURCES}}
STAGE = {"key": "links_open", "name": "Open", "position": 1}  # every deal of these tests is in it
_serial = itertools.count()


@dataclass(frozen=True)
class Need:
    """A record of `resource` in the workspace the body is sent to."""

    resource: str


def _n() -> int:
    return next(_serial)


BODIES: dict[str, Any] = {
    "contact": lambda: {"name": "Jane Doe"},
    "company": lambda: {"name": "Acme"},
    "lead": lambda: {"name": "Priya Shah"},
    "deal_stage": lambda: {"key": f"stage{_n()}", "name": "Stage", "position": 5},
    "deal": lambda: {"name": "Pilot", "stage": STAGE["key"]},
    "task": lambda: {"title": "Call back"},
    "activity": lambda: {"type": "note", "summary": "Met"},
    "support_queue": lambda: {"key": f"queue{_n()}", "name": "Queue"},
    "ticket": lambda: {"subject": "Cannot log in"},
    "ticket_message": lambda: {"direction": "inbound", "body": "Hello"},
    "ticket_comment": lambda: {"body": "Looking"},
    "accounting_account": lambda: {"code": f"A{_n()}", "name": "Cash", "type": "asset"},
    "journal_entry": lambda: {"lines": [{"account_id": Need("accounting_account"), "debit_cents": 100},
                                        {"account_id": Need("accounting_account"), "credit_cents": 100}]},
    "invoice": lambda: {"invoice_number": f"INV-{_n()}",
                        "line_items": [{"kind": "service", "name": "Work", "unit_amount_cents": 100}]},
    "payment": lambda: {"invoice_id": Need("invoice"), "amount_cents": 1},
    "asset": lambda: {"asset_type": "document", "file_name": "a.pdf", "mime_type": "application/pdf"},
    "cms_site": lambda: {"key": f"site{_n()}", "name": "Site"},
    "cms_collection": lambda: {"key": f"col{_n()}", "name": "Collection"},
    "marketing_campaign": lambda: {"key": f"camp{_n()}", "name": "Campaign"},
    "marketing_post": lambda: {"channel": "email", "body": "Hi"},
    "cms_entry": lambda: {"collection_id": Need("cms_collection"), "title": "Entry"},
    "analytics_event": lambda: {"name": f"signed_up_{_n()}"},
    "analytics_property": lambda: {"key": f"plan_{_n()}", "type": "string"},
    "bi_dataset": lambda: {"name": "Rows", "kind": "mock", "rows": [{"x": 1}]},
    "bi_metric": lambda: {"name": "Count", "dataset_id": Need("bi_dataset"), "aggregation": "count"},
    "bi_report": lambda: {"name": "Report", "dataset_id": Need("bi_dataset")},
    "bi_dashboard": lambda: {"name": "Board"},
    # One target only: the link under test is the one set (see `with_link`).
    "bi_export": lambda: {},
    "bi_scheduled_artifact": lambda: {"name": "Weekly", "artifact_type": "dataset",
                                      "artifact_id": Need("bi_dataset"), "cron": "0 9 * * 1"},
}
# What a body for this resource must hold besides the link under test, when it names nothing else.
FALLBACK = {"bi_export": lambda: {"dataset_id": Need("bi_dataset")}}


@dataclass
class Workspace:
    """One workspace of the shared stack, with the records made for it so far (one per resource)."""

    http: aiohttp.ClientSession
    base: str
    key: str
    made: dict[str, str] = field(default_factory=dict)

    async def send(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return await call(self.http, method, f"{self.base}{path}", self.key, body)

    async def resolve(self, value: Any) -> Any:
        """`value` with every Need replaced by the id of a record of this workspace."""
        if isinstance(value, Need):
            return await self.record(value.resource)
        if isinstance(value, dict):
            return {k: await self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [await self.resolve(v) for v in value]
        return value

    async def create(self, resource: str, body: dict[str, Any], path: str | None = None) -> str:
        status, answer = await self.send("POST", path or PATHS[resource], await self.resolve(body))
        assert status == 201, (resource, body, answer)
        return str(answer["data"]["id"])

    async def record(self, resource: str) -> str:
        """The id of this workspace's record of `resource` (created on first use)."""
        if resource not in self.made:
            body = BODIES[resource]() or FALLBACK[resource]()
            self.made[resource] = await self.create(resource, body)
        return self.made[resource]


@dataclass
class Shared:
    crm: ServiceRuntime
    url: str
    mine: Workspace
    other: Workspace


@pytest_asyncio.fixture(scope="module")
async def shared() -> AsyncIterator[Shared]:
    """One crm service and gateway for every case of a module, with two workspaces (mine, other)."""
    async with isolated_stack() as stack, aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        runtime = ServiceRuntime(create_spec(), stack.crm)
        await runtime.start()
        try:
            async with start_gateway(stack.gateway) as gateway:
                spaces = []
                for name in ("Mine", "Other"):
                    _, key = await create_workspace(stack.gateway, name, "business")
                    space = Workspace(http, gateway.url, key)
                    await space.create("deal_stage", STAGE)
                    spaces.append(space)
                yield Shared(runtime, gateway.url, *spaces)
        finally:
            await runtime.stop()

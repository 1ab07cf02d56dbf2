"""A flows stack for the FL-EDGE tests: the flows provider simulator as the operator provider `flows_sim`, the
connections service (loopback admitted), the flows service, optionally the crm, a real gateway, and an owner key of
a workspace with the simulator connected."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from conftest import Stack, create_workspace, isolated_stack, start_connections, start_flows, start_gateway
from crm.main import create_spec as create_crm_spec
from junction_common.service import ServiceRuntime
from tests.simulators.flows_provider import FlowsProvider, flows_provider

SIM = "flows_sim"


@dataclass
class FlowsEdge:
    url: str
    http: aiohttp.ClientSession
    stack: Stack
    sim: FlowsProvider
    flows: ServiceRuntime
    key: str
    workspace_id: str
    other_key: str
    connection_id: str = ""

    async def call(self, method: str, path: str, body: Any = None, key: str | None = None,
                   headers: dict[str, str] | None = None) -> tuple[int, Any]:
        sent = {"Authorization": f"Bearer {key or self.key}", **(headers or {})}
        async with self.http.request(method, self.url + path, json=body, headers=sent) as resp:
            return resp.status, await resp.json(content_type=None)


@contextlib.asynccontextmanager
async def flows_edge(tmp: Path, with_crm: bool = False, **flows_settings: Any) -> AsyncIterator[FlowsEdge]:
    async with isolated_stack() as stack, flows_provider() as sim, contextlib.AsyncExitStack() as running:
        folder = tmp / "providers"
        sim.write_manifest(folder, SIM)
        connections = await start_connections(stack, provider_dirs=str(folder), provider_allow_networks="127.0.0.0/8")
        running.push_async_callback(connections.stop)
        if with_crm:
            crm = ServiceRuntime(create_crm_spec(), stack.crm)
            await crm.start()
            running.push_async_callback(crm.stop)
        flows = await start_flows(stack, **flows_settings)
        running.push_async_callback(flows.stop)
        gateway = await running.enter_async_context(start_gateway(stack.gateway))
        http = await running.enter_async_context(aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)))
        workspace_id, key = await create_workspace(stack.gateway, "Flows A", plan="business")
        _, other_key = await create_workspace(stack.gateway, "Flows B", plan="business")
        edge = FlowsEdge(gateway.url, http, stack, sim, flows, key, workspace_id, other_key)
        status, body = await edge.call("POST", f"/connect/v1/providers/{SIM}/connect",
                                       {"credentials": {"apiKey": sim.api_key}})
        assert status == 201 and body["data"]["status"] == "CONNECTED", body
        edge.connection_id = body["data"]["connectionId"]
        yield edge

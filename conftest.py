"""Fixtures for tests that run Junction's services on the real Kafka broker and MongoDB-protocol server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import uvicorn

from connections.main import create_spec as create_connections_spec
from connections.settings import ConnectionsSettings
from crm.domain.pipeline import DEFAULT_STAGES, stage_id
from crm.main import create_spec
from crm.settings import CrmSettings
from flows.main import create_spec as create_flows_spec
from flows.settings import FlowsSettings
from gateway.main import create_app
from gateway.settings import GatewaySettings
from junction_common import workspaces
from junction_common.envelope import utcnow
from junction_common.mongo import create_client
from junction_common.service import ServiceRuntime
from junction_common.settings import JunctionSettings
from junction_common.testing.infra import (
    drop_databases,
    drop_kafka,
    eventually,
    free_port,
    isolated,
    purge_stale,
)
from sync.main import create_spec as create_sync_spec
from sync.settings import SyncSettings
from webhooks.main import create_spec as create_webhooks_spec
from webhooks.settings import WebhooksSettings

# A short retry schedule for tests (the default is 0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).
TEST_WEBHOOK_SCHEDULE = "0,0.3,0.6,1,1.5"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Remove what killed test runs left on the shared broker and server (when they are up), once per run."""
    if hasattr(session.config, "workerinput"):
        return  # a pytest-xdist worker: the controlling process purged before starting it
    settings = JunctionSettings()
    host, _, port = settings.kafka_bootstrap.split(",")[0].rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return  # no broker: a unit-only run
    try:
        topics, databases = asyncio.run(asyncio.wait_for(purge_stale(settings), 120))
    except Exception as exc:  # best effort: a purge that fails must not stop the tests
        print(f"[tests] could not purge stale test names: {type(exc).__name__}: {exc}")
        return
    if topics or databases:
        print(f"[tests] purged {topics} stale test topics and {databases} stale test databases")


@dataclass
class Stack:
    gateway: GatewaySettings
    crm: CrmSettings
    webhooks: WebhooksSettings
    connections: ConnectionsSettings
    sync: SyncSettings
    flows: FlowsSettings


@contextlib.asynccontextmanager
async def isolated_stack() -> AsyncIterator[Stack]:
    """Isolated names for one test (or one module); its topics, groups and databases are removed afterwards."""
    # Each service's internal API, known to the gateway (and the gateway's own, which services ask for members).
    ports = {name: free_port() for name in ("crm", "webhooks", "connections", "sync", "flows", "gateway")}
    gw = isolated(GatewaySettings, command_timeout_s=20.0, gateway_internal_port=ports["gateway"],
                  service_urls={name: f"http://127.0.0.1:{port}" for name, port in ports.items()})
    shared = {k: getattr(gw, k) for k in ("env", "kafka_bootstrap", "mongodb_url", "home", "topic_prefix",
                                          "db_prefix", "log_json", "service_urls")}
    webhooks = WebhooksSettings(**shared, webhook_retry_schedule=TEST_WEBHOOK_SCHEDULE, webhook_jitter=0.0,
                                webhook_timeout_s=5.0, webhook_lease_s=20.0, webhook_sweep_interval_s=0.2,
                                internal_port=ports["webhooks"])
    try:
        yield Stack(gw, CrmSettings(**shared, internal_port=ports["crm"]), webhooks,
                    ConnectionsSettings(**shared, internal_port=ports["connections"]),
                    SyncSettings(**shared, internal_port=ports["sync"]),
                    FlowsSettings(**shared, internal_port=ports["flows"]))
    finally:
        with contextlib.suppress(Exception):
            await drop_databases(gw)
        with contextlib.suppress(Exception):
            await drop_kafka(gw)


@pytest_asyncio.fixture
async def stack_settings() -> AsyncIterator[Stack]:
    async with isolated_stack() as stack:
        yield stack


@pytest_asyncio.fixture
async def crm_service(stack_settings: Stack) -> AsyncIterator[ServiceRuntime]:
    runtime = ServiceRuntime(create_spec(), stack_settings.crm)
    await runtime.start()
    yield runtime
    await runtime.stop()


async def start_webhooks(stack: Stack, **overrides: Any) -> ServiceRuntime:
    """A running webhooks service on the test's names, with settings changed by `overrides`."""
    settings = WebhooksSettings(**{**stack.webhooks.model_dump(), **overrides})
    runtime = ServiceRuntime(create_webhooks_spec(settings), settings)
    await runtime.start()
    return runtime


async def start_connections(stack: Stack, **overrides: Any) -> ServiceRuntime:
    """A running connections service on the test's names (its built-in provider catalogue, plus the operator
    folders of `provider_dirs` when given)."""
    settings = ConnectionsSettings(**{**stack.connections.model_dump(), **overrides})
    runtime = ServiceRuntime(create_connections_spec(settings), settings)
    await runtime.start()
    return runtime


async def start_sync(stack: Stack, **overrides: Any) -> ServiceRuntime:
    """A running sync service on the test's names, with settings changed by `overrides`."""
    settings = SyncSettings(**{**stack.sync.model_dump(), **overrides})
    runtime = ServiceRuntime(create_sync_spec(settings), settings)
    await runtime.start()
    return runtime


async def start_flows(stack: Stack, **overrides: Any) -> ServiceRuntime:
    """A running flows service on the test's names, with settings changed by `overrides`."""
    settings = FlowsSettings(**{**stack.flows.model_dump(), **overrides})
    runtime = ServiceRuntime(create_flows_spec(settings), settings)
    await runtime.start()
    return runtime


@pytest_asyncio.fixture
async def webhooks_service(stack_settings: Stack) -> AsyncIterator[ServiceRuntime]:
    runtime = await start_webhooks(stack_settings)
    yield runtime
    await runtime.stop()


@dataclass
class RunningGateway:
    url: str
    settings: GatewaySettings


_GATEWAY_INTERNAL_PORTS: set[int] = set()  # gateway internal ports a running test gateway serves


@contextlib.asynccontextmanager
async def start_gateway(settings: GatewaySettings, **app_options: Any) -> AsyncIterator[RunningGateway]:
    """A real gateway (uvicorn on a free port) in this event loop. A second replica on the same settings serves
    its internal API on a port of its own (the services' JUNCTION_SERVICE_URLS name the first's)."""
    port = free_port()
    if settings.gateway_internal_port in _GATEWAY_INTERNAL_PORTS:
        settings = settings.model_copy(update={"gateway_internal_port": 0})
    claimed = {settings.gateway_internal_port} - {0, -1}
    _GATEWAY_INTERNAL_PORTS.update(claimed)
    config = uvicorn.Config(create_app(settings, **app_options), host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on")
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(400):
            if server.started:
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        yield RunningGateway(f"http://127.0.0.1:{port}", settings)
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)
        _GATEWAY_INTERNAL_PORTS.difference_update(claimed)


@pytest_asyncio.fixture
async def gateway(stack_settings: Stack) -> AsyncIterator[RunningGateway]:
    async with start_gateway(stack_settings.gateway) as running:
        yield running


async def create_workspace(settings: GatewaySettings, name: str = "Acme", plan: str = "free") -> tuple[str, str]:
    """A workspace made as `junction workspace create` makes it: its crm setup (the default sales pipeline) is
    a command the crm handles once it runs (see wait_set_up)."""
    workspace, key = await workspaces.create_workspace(settings, name, plan)
    return workspace["_id"], key


async def wait_set_up(settings: GatewaySettings, workspace_id: str, timeout: float = 30.0) -> None:
    """Until the running crm service has set the workspace up and its default stages are readable."""
    client = create_client(settings, admin=True)
    ids = [stage_id(workspace_id, stage.key) for stage in DEFAULT_STAGES]
    stages = client[settings.db_name("crm")]["deal_stages"]

    async def readable() -> bool:
        return await stages.count_documents({"_id": {"$in": ids}}) == len(ids)

    try:
        await eventually(readable, timeout)
    finally:
        await client.close()


@pytest_asyncio.fixture
async def workspace(request: pytest.FixtureRequest, stack_settings: Stack) -> tuple[str, str]:
    """A new workspace; when the test runs the crm (requested before this fixture), already set up by it."""
    workspace_id, key = await create_workspace(stack_settings.gateway, plan="business")
    if "crm_service" in request.fixturenames:
        await wait_set_up(stack_settings.gateway, workspace_id)
    return workspace_id, key


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        yield session


@pytest.fixture
def now() -> object:
    return utcnow()

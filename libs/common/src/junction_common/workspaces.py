"""Creating a workspace: its identity (the workspace and an owner key), then the command that sets it up in every
service that gives a new workspace defaults (`workspace.provision`; the crm makes the default sales pipeline),
published like any command so it waits in Kafka until the service handles it.

A service asks for the setup command by naming its commands topic under the `junction.workspace_setup` entry
points (the crm's pyproject does), so this module knows no service.

Every way of creating a workspace (`junction workspace create`, the test fixtures) goes through
`create_workspace`. The setup command's id is derived from the workspace id: publishing it again is a no-op.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from junction_common.bus.broker import create_broker
from junction_common.envelope import Actor, CommandEnvelope
from junction_common.identity import IdentityStore
from junction_common.mongo import create_client
from junction_common.settings import JunctionSettings
from junction_common.topics import declared_topics, ensure_topics
from junction_common.tracing import inject_headers

Doc = dict[str, Any]
PROVISION_WORKSPACE = "workspace.provision"


def setup_topics() -> list[str]:
    """The commands topics of the services that set up a new workspace."""
    return sorted({str(ep.load()) for ep in entry_points(group="junction.workspace_setup")})


def setup_command(workspace_id: str) -> CommandEnvelope:
    """The crm setup of a new workspace; the same command (and id) however often it is built."""
    return CommandEnvelope(command_id=f"cmd_provision_{workspace_id}", type=PROVISION_WORKSPACE,
                           aggregate_id=workspace_id, workspace_id=workspace_id,
                           actor=Actor(kind="system", id="workspace_setup"))


async def publish_setup(settings: JunctionSettings, workspace_id: str) -> CommandEnvelope:
    """Publish the setup command to each such service (creating its commands topic if it has not yet)."""
    targets = setup_topics()
    await ensure_topics(settings, [spec for spec in declared_topics() if spec.name in targets])
    cmd = setup_command(workspace_id)
    broker = create_broker(settings, client_id="junction-workspaces")
    await broker.start()
    try:
        for topic in targets:
            await broker.publish(cmd.to_bytes(), settings.topic(topic), key=workspace_id.encode(),
                                 headers=inject_headers({"junction-type": cmd.type}))
    finally:
        await broker.stop()
    return cmd


async def create_workspace(settings: JunctionSettings, name: str, plan: str) -> tuple[Doc, str]:
    """Create a workspace with an owner key (shown once) and ask the crm to set it up; returns both."""
    client = create_client(settings, admin=True)
    try:
        store = IdentityStore(client[settings.db_name("identity")], settings.signing_secret)
        await store.ensure_indexes()
        workspace, api_key = await store.create_workspace(name, plan)
    finally:
        await client.close()
    await publish_setup(settings, workspace["_id"])
    return workspace, api_key

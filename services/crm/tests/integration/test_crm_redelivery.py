"""A redelivered command and a redelivered event change nothing (crm service on real Kafka + MongoDB)."""

from __future__ import annotations

import pytest

from crm.topics import COMMANDS, CONTACT_EVENTS
from junction_common.envelope import CommandEnvelope
from junction_common.ids import new_id
from junction_common.testing.infra import eventually

pytestmark = pytest.mark.integration


def create_cmd(contact_id: str, workspace_id: str, name: str) -> CommandEnvelope:
    return CommandEnvelope(type="CreateContact", aggregate_id=contact_id, workspace_id=workspace_id,
                           data={"name": name})


async def publish_cmd(runtime, cmd: CommandEnvelope, key: str) -> None:
    await runtime.broker.publish(cmd.to_bytes(), runtime.settings.topic(COMMANDS), key=key.encode())


async def outcome_of(runtime, command_id: str):
    return await runtime.db["command_outcomes"].find_one({"_id": command_id})


async def test_redelivered_command_changes_nothing(crm_service, workspace):
    ws, _ = workspace
    contact_id = new_id("con")
    cmd = create_cmd(contact_id, ws, "Once Only")
    await publish_cmd(crm_service, cmd, contact_id)
    first = await eventually(lambda: outcome_of(crm_service, cmd.command_id))
    await publish_cmd(crm_service, cmd, contact_id)  # the same command, delivered again
    # A later command on the same key (same partition) proves the duplicate was consumed before it.
    sentinel = create_cmd(new_id("con"), ws, "Sentinel")
    await publish_cmd(crm_service, sentinel, contact_id)
    await eventually(lambda: outcome_of(crm_service, sentinel.command_id))
    assert await outcome_of(crm_service, cmd.command_id) == first
    assert first["status"] == "succeeded"
    assert await crm_service.store.count_events({"stream_id": contact_id}) == 1
    doc = await eventually(lambda: crm_service.db["contacts"].find_one({"_id": contact_id}))
    assert doc["_version"] == 1 and doc["name"] == "Once Only"


async def test_redelivered_event_changes_nothing(crm_service, workspace):
    ws, _ = workspace
    contact_id = new_id("con")
    cmd = create_cmd(contact_id, ws, "Projected Once")
    await publish_cmd(crm_service, cmd, contact_id)
    before = await eventually(lambda: crm_service.db["contacts"].find_one({"_id": contact_id}))
    events, _ = await crm_service.store.load(contact_id)
    topic = crm_service.settings.topic(CONTACT_EVENTS)
    for _ in range(2):  # the same event delivered twice more
        await crm_service.broker.publish(events[0].to_bytes(), topic, key=contact_id.encode())
    sentinel_id = new_id("con")
    sentinel = create_cmd(sentinel_id, ws, "Sentinel")
    await publish_cmd(crm_service, sentinel, sentinel_id)
    await eventually(lambda: crm_service.db["contacts"].find_one({"_id": sentinel_id}))
    # The sentinel may sit on another partition: also wait until the contacts group has no lag.
    await eventually(lambda: _no_lag(crm_service), timeout=30)
    after = await crm_service.db["contacts"].find_one({"_id": contact_id})
    assert after == before
    assert await crm_service.store.count_events({"stream_id": contact_id}) == 1


async def _no_lag(runtime) -> bool:
    from junction_common.bus.lag import consumer_lag

    lag = await consumer_lag(runtime.settings.kafka_bootstrap, runtime.settings.topic_prefix)
    group = runtime.settings.topic("crm.projections")
    return group in lag and sum(lag[group].values()) == 0

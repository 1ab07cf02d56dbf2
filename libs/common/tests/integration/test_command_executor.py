"""Command executor on the real MongoDB-protocol server: a create commits without loading its stream.

The commands the executor sends are counted with pymongo's command monitoring.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient
from pymongo.monitoring import CommandFailedEvent, CommandListener, CommandStartedEvent, CommandSucceededEvent

from junction_common.commands import CommandExecutor, names_a_create
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent
from junction_common.mongo import Doc
from junction_common.settings import JunctionSettings
from junction_common.store.event_store import EventStore
from junction_common.store.outcomes import REJECTED, SUCCEEDED, OutcomeStore
from junction_common.testing.infra import drop_databases, isolated

pytestmark = pytest.mark.integration


class Commands(CommandListener):
    """The (command, collection) pairs a client sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def started(self, event: CommandStartedEvent) -> None:
        self.sent.append((event.command_name, str(event.command.get(event.command_name, ""))))

    def succeeded(self, event: CommandSucceededEvent) -> None:
        pass

    def failed(self, event: CommandFailedEvent) -> None:
        pass


@dataclass
class Rig:
    store: EventStore
    outcomes: OutcomeStore
    commands: Commands
    commits: list[int] = field(default_factory=list)

    @property
    def executor(self) -> CommandExecutor:
        return CommandExecutor(self.store, self.outcomes, lambda: self.commits.append(1))


@pytest_asyncio.fixture
async def rig() -> AsyncIterator[Rig]:
    settings = isolated(JunctionSettings)
    commands = Commands()
    client: AsyncMongoClient[Doc] = AsyncMongoClient(settings.mongodb_url, tz_aware=True,
                                                     event_listeners=[commands])
    db = client[settings.db_name("exec")]
    store, outcomes = EventStore(db), OutcomeStore(db)
    await store.ensure_indexes()
    commands.sent.clear()
    yield Rig(store, outcomes, commands)
    await client.close()
    await drop_databases(settings)


def decide(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
    """A thing is created once; a rename needs it to exist."""
    if cmd.type == "thing.create":
        if events:
            raise CommandRejected("VALIDATION_ERROR", "thing already exists")
        return [NewEvent(type="thing.created", data=cmd.data)]
    if not events:
        raise CommandRejected("NOT_FOUND", "no such thing")
    return [NewEvent(type="thing.renamed", data=cmd.data)]


def command(type_: str, stream: str, workspace: str = "wrk_1", **data: str) -> CommandEnvelope:
    return CommandEnvelope(type=type_, aggregate_id=stream, workspace_id=workspace, data=data)


def test_names_a_create() -> None:
    assert names_a_create(command("deal.create", "d"))
    assert names_a_create(command("CreateContact", "c"))
    assert not names_a_create(command("deal.update", "d"))
    assert not names_a_create(command("lead.convert", "l"))


async def test_a_create_commits_without_loading_its_stream(rig: Rig) -> None:
    cmd = command("thing.create", "thg_1", name="A")
    await rig.executor.execute(cmd, decide)
    assert [name for name, coll in rig.commands.sent if coll == "event_commits"] == ["insert"]
    assert ("find", "event_commits") not in rig.commands.sent
    events, version = await rig.store.load("thg_1")
    assert version == 1 and events[0].type == "thing.created" and events[0].command_id == cmd.command_id
    outcome = await rig.outcomes.get(cmd.command_id, "wrk_1")
    assert outcome is not None and outcome["status"] == SUCCEEDED and outcome["version"] == 1
    assert rig.commits == [1]


async def test_a_create_of_an_existing_stream_is_decided_on_the_stored_events(rig: Rig) -> None:
    await rig.executor.execute(command("thing.create", "thg_2", name="A"), decide)
    again = command("thing.create", "thg_2", name="B")
    await rig.executor.execute(again, decide)
    outcome = await rig.outcomes.get(again.command_id, "wrk_1")
    assert outcome is not None and outcome["status"] == REJECTED
    assert outcome["error"]["message"] == "thing already exists"
    assert (await rig.store.load("thg_2"))[1] == 1


async def test_a_create_over_another_workspaces_stream_is_not_found(rig: Rig) -> None:
    await rig.executor.execute(command("thing.create", "thg_3", name="A"), decide)
    other = command("thing.create", "thg_3", workspace="wrk_2", name="B")
    await rig.executor.execute(other, decide)
    outcome = await rig.outcomes.get(other.command_id, "wrk_2")
    assert outcome is not None and outcome["error"]["code"] == "NOT_FOUND"


async def test_a_redelivered_create_keeps_its_first_commit(rig: Rig) -> None:
    cmd = command("thing.create", "thg_4", name="A")
    await rig.executor.execute(cmd, decide)
    await rig.executor.execute(command("thing.rename", "thg_4", name="B"), decide)
    await rig.executor.execute(cmd, decide)
    assert await rig.store.count_events({"stream_id": "thg_4"}) == 2
    outcome = await rig.outcomes.get(cmd.command_id, "wrk_1")
    assert outcome is not None and outcome["status"] == SUCCEEDED and outcome["version"] == 1


async def test_concurrent_creates_of_one_stream_commit_once(rig: Rig) -> None:
    cmds = [command("thing.create", "thg_5", name=str(i)) for i in range(12)]
    await asyncio.gather(*(rig.executor.execute(c, decide) for c in cmds))
    events, version = await rig.store.load("thg_5")
    assert version == 1 and len(events) == 1
    statuses = [(await rig.outcomes.get(c.command_id, "wrk_1") or {}).get("status") for c in cmds]
    assert statuses.count(SUCCEEDED) == 1 and statuses.count(REJECTED) == 11


async def test_a_command_that_is_not_a_create_loads_its_stream(rig: Rig) -> None:
    await rig.executor.execute(command("thing.create", "thg_6", name="A"), decide)
    rig.commands.sent.clear()
    await rig.executor.execute(command("thing.rename", "thg_6", name="B"), decide)
    assert ("find", "event_commits") in rig.commands.sent
    assert (await rig.store.load("thg_6"))[1] == 2

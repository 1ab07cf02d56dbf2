"""Command batches on the real MongoDB-protocol server: one outcome lookup, one insert of commits, one of
outcomes; a redelivered batch changes nothing; a taken version is handled alone; relay and waits get the batch."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient
from pymongo.monitoring import CommandFailedEvent, CommandListener, CommandStartedEvent, CommandSucceededEvent

from junction_common.bus.consumer import Delivery, key_rounds
from junction_common.commands import CommandExecutor
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent
from junction_common.mongo import Doc
from junction_common.settings import JunctionSettings
from junction_common.store.event_store import EventStore
from junction_common.store.outcomes import REJECTED, SUCCEEDED, OutcomeStore
from junction_common.testing.infra import drop_databases, isolated

pytestmark = pytest.mark.integration


class Commands(CommandListener):
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def started(self, event: CommandStartedEvent) -> None:
        self.sent.append((event.command_name, str(event.command.get(event.command_name, ""))))

    def succeeded(self, event: CommandSucceededEvent) -> None:
        pass

    def failed(self, event: CommandFailedEvent) -> None:
        pass


def decide(cmd: CommandEnvelope, events: list[EventEnvelope]) -> list[NewEvent]:
    """A thing is created once; a rename needs it to exist."""
    if cmd.type == "thing.create":
        if events:
            raise CommandRejected("VALIDATION_ERROR", "thing already exists")
        return [NewEvent(type="thing.created", data=cmd.data)]
    if not events:
        raise CommandRejected("NOT_FOUND", "no such thing")
    return [NewEvent(type="thing.renamed", data=cmd.data)]


def command(type_: str, stream: str, **data: str) -> CommandEnvelope:
    return CommandEnvelope(type=type_, aggregate_id=stream, workspace_id="wrk_1", data=data)


class Batch:
    def __init__(self, store: EventStore, outcomes: OutcomeStore, commands: Commands) -> None:
        self.store, self.outcomes, self.commands = store, outcomes, commands
        self.handed: list[Doc] = []
        self.announced: list[Doc] = []
        self.executor = CommandExecutor(store, outcomes, lambda: None, hand_over=self.handed.extend,
                                        announce=self.announced.extend)


@pytest_asyncio.fixture
async def batch() -> AsyncIterator[Batch]:
    settings = isolated(JunctionSettings)
    commands = Commands()
    client: AsyncMongoClient[Doc] = AsyncMongoClient(settings.mongodb_url, tz_aware=True,
                                                     event_listeners=[commands])
    db = client[settings.db_name("batch")]
    store = EventStore(db)
    await store.ensure_indexes()
    commands.sent.clear()
    yield Batch(store, OutcomeStore(db), commands)
    await client.close()
    await drop_databases(settings)


def test_key_rounds_keep_each_keys_order() -> None:
    keys = [b"a", b"b", b"a", b"c", b"a", b"b"]
    deliveries = [Delivery("t", k, b"", {}, 1, 0, i) for i, k in enumerate(keys)]
    assert key_rounds(deliveries) == [[0, 1, 3], [2, 5], [4]]


async def test_a_batch_of_creates_costs_three_commands(batch: Batch) -> None:
    cmds = [command("thing.create", f"thg_b{i}", name=str(i)) for i in range(10)]
    assert await batch.executor.execute_batch([(c, decide) for c in cmds]) == {}
    assert sorted(batch.commands.sent) == sorted([("find", "command_outcomes"), ("insert", "event_commits"),
                                                  ("insert", "command_outcomes")])
    assert [d["stream_id"] for d in batch.handed] == [c.aggregate_id for c in cmds]
    assert {d["_id"] for d in batch.announced} == {c.command_id for c in cmds}
    assert all(d["status"] == SUCCEEDED and d["version"] == 1 for d in batch.announced)


async def test_a_redelivered_batch_changes_nothing(batch: Batch) -> None:
    cmds = [command("thing.create", f"thg_r{i}", name=str(i)) for i in range(3)]
    cmds.append(command("thing.rename", "thg_missing", name="x"))
    await batch.executor.execute_batch([(c, decide) for c in cmds])
    first = {c.command_id: await batch.outcomes.get(c.command_id, "wrk_1") for c in cmds}
    batch.handed.clear()
    assert await batch.executor.execute_batch([(c, decide) for c in cmds]) == {}
    assert batch.handed == []  # nothing committed again
    assert {c.command_id: await batch.outcomes.get(c.command_id, "wrk_1") for c in cmds} == first
    assert first[cmds[-1].command_id]["status"] == REJECTED
    assert await batch.store.count_events() == 3


async def test_a_commit_without_its_outcome_is_found_on_its_stream(batch: Batch) -> None:
    create = command("thing.create", "thg_c", name="A")
    rename = command("thing.rename", "thg_c", name="B")
    await batch.executor.execute_batch([(create, decide)])
    await batch.executor.execute_batch([(rename, decide)])
    await batch.outcomes.outcomes.delete_one({"_id": rename.command_id})  # a crash before the outcome insert
    await batch.executor.execute_batch([(rename, decide)])
    outcome = await batch.outcomes.get(rename.command_id, "wrk_1")
    assert outcome is not None and outcome["status"] == SUCCEEDED and outcome["version"] == 2
    assert await batch.store.count_events() == 2


async def test_a_taken_version_is_handled_alone_the_usual_way(batch: Batch) -> None:
    await batch.executor.execute_batch([(command("thing.create", "thg_t", name="A"), decide)])
    # Two renames of one stream in one round (distinct keys): one commits at v1, the other is refused,
    # then handled alone on the stream as it now is.
    first, second = command("thing.rename", "thg_t", name="B"), command("thing.rename", "thg_t", name="C")
    assert await batch.executor.execute_batch([(first, decide), (second, decide)]) == {}
    events, version = await batch.store.load("thg_t")
    assert version == 3 and {e.command_id for e in events[1:]} == {first.command_id, second.command_id}

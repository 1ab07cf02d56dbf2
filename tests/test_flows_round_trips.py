"""The flows engine's MongoDB round trips per execution are bounded: a published webhook -> transform -> HTTP flow
(the bench's flow) is started by many concurrent webhook calls through the gateway, and every command the flows
service sends to its database meanwhile is counted (a pymongo CommandListener; the read model's projection aside),
so the group commits, the shared reads and the webhook token cache cannot regress into a read or write per
execution unnoticed."""

from __future__ import annotations

import asyncio
import collections
import contextvars
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from pymongo import monitoring

from conftest import Stack, create_workspace, isolated_stack, start_flows, start_gateway
from flows.engine.engine import Engine
from flows.projections.executions import apply_execution, packed, unpacked
from flows.triggers.webhook import HOOK_CACHE_S
from flows_contracts import executions as ex
from junction_common.envelope import EventEnvelope
from junction_common.mongo import create_client
from junction_common.service import ServiceRuntime
from junction_common.store.event_store import Commit, commit_events
from junction_common.testing.infra import eventually
from tests.receivers import Receiver, receiver

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
Doc = dict[str, Any]
CALLS, CONCURRENCY = 200, 40
# The executions read model's projection (junction_common's runner, shared by every service) is left out: it writes
# a batch at a time too, but applies event by event when a batch meets a document written first (a redelivery).
READ_MODEL = ("executions", "projection_positions")
IGNORED: contextvars.ContextVar[bool] = contextvars.ContextVar("ignored", default=False)  # the test's own reads


class FlowsCommands(monitoring.CommandListener):
    """Counts the commands sent to one database (`database`, when set) as `<command> <collection>`."""

    def __init__(self) -> None:
        self.database: str | None = None
        self.counts: collections.Counter[str] = collections.Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.database is None or event.database_name != self.database or IGNORED.get():
            return
        target = event.command.get(event.command_name)
        name = f"{event.command_name} {target if isinstance(target, str) else ''}".strip()
        if "token_hash" in (event.command.get("filter") or {}):
            name += " by token"  # the webhook trigger's lookup (the trigger tick reads the collection too)
        self.counts[name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


COMMANDS = FlowsCommands()
monitoring.register(COMMANDS)  # once, before any client is made


class Bench:
    def __init__(self, stack: Stack, flows: ServiceRuntime, url: str, key: str, sink: Receiver) -> None:
        self.stack, self.flows, self.url, self.key, self.sink = stack, flows, url, key, sink


@pytest_asyncio.fixture
async def bench(http: Any) -> AsyncIterator[Bench]:
    async with isolated_stack() as stack, receiver("/orders") as sink:
        flows = await start_flows(stack)
        try:
            async with start_gateway(stack.gateway) as gateway:
                _, key = await create_workspace(stack.gateway, "Round trips", plan="business")
                yield Bench(stack, flows, gateway.url, key, sink)
        finally:
            await flows.stop()


async def webhook_flow(http: Any, bench: Bench) -> str:
    """The bench's flow, published, and its webhook trigger: the trigger's path."""
    auth = {"Authorization": f"Bearer {bench.key}"}
    nodes = [{"id": "hook", "type": "trigger", "config": {"kind": "webhook"}},
             {"id": "shape", "type": "transform", "config": {"output": {"order": "{{ trigger.body.order }}",
                                                                       "total": "{{ trigger.body.total * 100 }}"}}},
             {"id": "send", "type": "http_request", "config": {"method": "POST", "url": bench.sink.url,
                                                              "body": "{{ steps.shape }}"}}]
    edges = [{"source": "hook", "target": "shape"}, {"source": "shape", "target": "send"}]
    async with http.post(f"{bench.url}/v1/workflows", headers=auth,
                         json={"name": "Bench", "nodes": nodes, "edges": edges, "status": "published"}) as resp:
        made = await resp.json()
        assert resp.status == 201, made
    async with http.post(f"{bench.url}/connect/v1/flows/{made['data']['id']}/triggers", headers=auth,
                         json={"kind": "webhook", "config": {}}) as resp:
        trigger = await resp.json()
        assert resp.status == 201, trigger
    url = str(trigger["data"]["webhookUrl"])
    return url[url.index("/connect/v1/flow-hooks/"):]


async def fire(http: Any, url: str, calls: range) -> set[str]:
    """Webhook calls at CONCURRENCY; the executions they started."""
    sem, started = asyncio.Semaphore(CONCURRENCY), set()

    async def one(n: int) -> None:
        async with sem, http.post(url, json={"order": f"o-{n}", "total": n}) as resp:
            answer = await resp.json(content_type=None)
            assert resp.status == 202, answer
            started.add(answer["data"]["executionId"])

    await asyncio.gather(*(one(n) for n in calls))
    return started


async def all_completed(stack: Stack, ids: set[str]) -> None:
    """Until every execution in `ids` shows completed (read on a client of the test's own, not counted)."""
    token = IGNORED.set(True)
    client = create_client(stack.flows)
    try:
        executions = client[stack.flows.db_name("flows")][ex.COLLECTION]

        async def done() -> bool:
            found = await executions.count_documents({"_id": {"$in": sorted(ids)}, "status": ex.COMPLETED})
            return found == len(ids)

        await eventually(done, 120)
    finally:
        await client.close()
        IGNORED.reset(token)


async def stored(stack: Stack, ids: set[str]) -> tuple[dict[str, list[EventEnvelope]], dict[str, Doc]]:
    """Each execution's stored events and its read-model document (read on the test's own client, not counted)."""
    token = IGNORED.set(True)
    client = create_client(stack.flows)
    try:
        db = client[stack.flows.db_name("flows")]
        commits = await db["event_commits"].find({"stream_id": {"$in": sorted(ids)}}).sort("base_version").to_list()
        views = await db[ex.COLLECTION].find({"_id": {"$in": sorted(ids)}}).to_list()
    finally:
        await client.close()
        IGNORED.reset(token)
    events: dict[str, list[EventEnvelope]] = {}
    for commit in commits:
        events.setdefault(commit["stream_id"], []).extend(Commit.from_doc(commit).events)
    return events, {v["_id"]: v for v in views}


def folded(events: list[EventEnvelope]) -> Doc:
    """The read-model document the projection's pure apply builds from `events`, in the form its consumer stores
    (its trigger, steps and logs as JSON text)."""
    doc: Doc | None = None
    for event in events:
        doc = {**apply_execution(doc, event), "_id": event.stream_id, "_version": event.version}
    assert doc is not None
    stored = packed(doc)
    assert all(isinstance(stored[k], str) for k in ("trigger", "steps", "logs")) and unpacked(stored) == doc
    return stored


async def stored_event_types(stack: Stack, ids: set[str]) -> set[tuple[str, ...]]:
    """The event types of each execution's single commit (read on the test's own client, not counted)."""
    token = IGNORED.set(True)
    client = create_client(stack.flows)
    try:
        commits = await client[stack.flows.db_name("flows")]["event_commits"].find(
            {"stream_id": {"$in": sorted(ids)}}).to_list()
    finally:
        await client.close()
        IGNORED.reset(token)
    assert sorted(c["stream_id"] for c in commits) == sorted(ids)  # one commit per execution
    assert all(isinstance(c["events"], str) for c in commits)  # its events packed as one JSON text
    return {tuple(e["type"] for e in commit_events(c)) for c in commits}


async def test_a_webhook_flow_execution_costs_under_one_round_trip(http: Any, bench: Bench) -> None:
    hook = bench.url + await webhook_flow(http, bench)
    await all_completed(bench.stack, await fire(http, hook, range(20)))  # warm: pools, caches, indexes
    COMMANDS.database, COMMANDS.counts = bench.stack.flows.db_name("flows"), collections.Counter()
    began = time.monotonic()
    ids = await fire(http, hook, range(100, 100 + CALLS))
    firing_s = time.monotonic() - began
    await all_completed(bench.stack, ids)
    counts, COMMANDS.database = COMMANDS.counts, None
    per = {name: n / CALLS for name, n in counts.items() if name.split(" ")[-1] not in READ_MODEL}
    assert len(ids) == CALLS and len(bench.sink.received) == CALLS + 20
    # one event-store commit, one run-queue insert and one delete, one workflow read, each shared by the
    # executions of a round trip: far under one command per execution each, and under one in all
    assert sum(per.values()) < 1.0, per
    # the token's subscription is cached HOOK_CACHE_S, not read per call (nor once per concurrent call)
    assert counts["find flow_triggers by token"] <= firing_s / HOOK_CACHE_S + 2, (counts, firing_s)
    assert per.get("find workflows", 0) < 0.5, per  # concurrent starts share one read; no second read per call
    for write in ("insert event_commits", "insert execution_runs", "delete execution_runs"):
        assert per.get(write, 0) < 0.5, per  # group-committed across executions
    # the read model is written by the engine in its group commits; the projection consumer only reads the
    # documents' versions (one read per batch) and skips the events they hold
    views = {name: n / CALLS for name, n in counts.items() if name.endswith(f" {ex.COLLECTION}")}
    assert sum(views.values()) < 1.0, views
    # each execution is one commit of seven events: the trigger and the transform recorded by their step.succeeded
    # alone, the HTTP step as started before its call and succeeded, the end and workflow-api's workflow.executed
    assert await stored_event_types(bench.stack, ids) == {(
        "execution.started", "step.succeeded", "step.succeeded", "step.started", "step.succeeded",
        "execution.completed", "workflow.executed")}


async def test_the_read_model_is_written_with_the_commit_as_its_projection_builds_it(http: Any, bench: Bench) -> None:
    hook = bench.url + await webhook_flow(http, bench)
    ids = await fire(http, hook, range(60))
    await all_completed(bench.stack, ids)
    events, views = await stored(bench.stack, ids)
    assert {i: views[i] for i in ids} == {i: folded(events[i]) for i in ids}


async def test_a_read_model_the_engine_did_not_write_is_built_by_the_projection_consumer(
        http: Any, bench: Bench) -> None:
    """A crash between the commit and its read-model write: the consumer applies the events the document lacks."""
    hook = bench.url + await webhook_flow(http, bench)
    commits = bench.flows.component(Engine).commits

    async def crashed_before_writing(views: list[tuple[int, Doc]]) -> None:
        return None

    commits._write_views = crashed_before_writing  # type: ignore[method-assign]
    ids = await fire(http, hook, range(40))
    await all_completed(bench.stack, ids)
    events, views = await stored(bench.stack, ids)
    assert {i: views[i] for i in ids} == {i: folded(events[i]) for i in ids}

"""Parallel branches on the real stack (gateway, flows, connections; Kafka and a MongoDB-protocol server): the two
HTTP steps of a fan-out are in flight at the receiver at the same time (a rendezvous: each call waits for the
other one to arrive, and says whether it did), the merge joins both, replay from the merge reuses their recorded
outputs, and an engine stopped with both calls in flight is taken over by another that repeats each call once
with the same idempotency key (each effect applied once)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from conftest import start_flows
from flows.engine.starts import start_execution
from junction_common.testing.infra import eventually
from tests.aiohttp_runner import catch_all, serving
from tests.flows_edge import FlowsEdge, flows_edge

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
Doc = dict[str, Any]
MEET_WITHIN_S = 20.0  # a call gives up waiting for the other one after this (then it says it did not meet it)


@dataclass
class Rendezvous:
    """Calls to /a and /b each wait for the other's arrival; `held` keeps them waiting after (until released)."""

    url: str
    calls: Counter[str] = field(default_factory=Counter)  # Idempotency-Key -> calls
    arrived: set[str] = field(default_factory=set)
    met: asyncio.Event = field(default_factory=asyncio.Event)
    held: asyncio.Event | None = None

    def reset(self) -> None:
        self.arrived, self.met = set(), asyncio.Event()


@asynccontextmanager
async def rendezvous() -> AsyncIterator[Rendezvous]:
    state = Rendezvous("")

    async def handle(request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key", "")
        state.calls[key] += 1
        state.arrived.add(request.path)
        if {"/a", "/b"} <= state.arrived:
            state.met.set()
        try:
            await asyncio.wait_for(state.met.wait(), MEET_WITHIN_S)
            met = True
        except TimeoutError:
            met = False
        if state.held is not None:
            await state.held.wait()
        return web.json_response({"path": request.path, "met": met})

    async with serving(catch_all(handle)) as url:
        state.url = url
        yield state


@pytest_asyncio.fixture(scope="module")
async def edge(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FlowsEdge]:
    async with flows_edge(Path(tmp_path_factory.mktemp("branches"))) as running:
        yield running


@pytest_asyncio.fixture
async def rx() -> AsyncIterator[Rendezvous]:
    async with rendezvous() as receiver:
        yield receiver


async def fan_out_flow(edge: FlowsEdge, url: str) -> str:
    nodes = [{"id": "start", "type": "trigger", "config": {"kind": "manual"}},
             {"id": "a", "type": "http_request", "config": {"method": "POST", "url": f"{url}/a"}},
             {"id": "b", "type": "http_request", "config": {"method": "POST", "url": f"{url}/b"}},
             {"id": "m", "type": "transform", "config": {"output": {
                 "a": "{{ steps.a.body.met }}", "b": "{{ steps.b.body.met }}", "n": "{{ trigger.n }}"}}}]
    edges = [{"source": "start", "target": "a"}, {"source": "start", "target": "b"},
             {"source": "a", "target": "m"}, {"source": "b", "target": "m"}]
    status, answer = await edge.call("POST", "/v1/workflows", {"name": "fan out", "status": "published",
                                                               "nodes": nodes, "edges": edges})
    assert status == 201, answer
    return str(answer["data"]["id"])


async def finished(edge: FlowsEdge, execution_id: str, timeout: float = 60.0) -> Doc:
    deadline = time.monotonic() + timeout
    while True:
        status, body = await edge.call("GET", f"/v1/executions/{execution_id}")
        if status == 200 and body["data"]["status"] in ("completed", "failed", "cancelled"):
            return dict(body["data"])
        assert time.monotonic() < deadline, body
        await asyncio.sleep(0.1)


async def in_flight(rx: Rendezvous, calls: int) -> bool | None:
    return sum(rx.calls.values()) >= calls or None


async def test_two_branches_are_in_flight_together_and_replay_from_the_merge(edge: FlowsEdge,
                                                                             rx: Rendezvous) -> None:
    flow = await fan_out_flow(edge, rx.url)
    status, body = await edge.call("POST", f"/v1/workflows/{flow}/execute", {"input": {"n": 1}})
    assert status == 200, body
    execution_id = body["data"]["execution_id"]
    done = await finished(edge, execution_id)
    assert done["status"] == "completed" and done["output"] == {"a": True, "b": True, "n": 1}, done
    assert sorted(rx.calls.values()) == [1, 1]
    calls_before = sum(rx.calls.values())
    status, body = await edge.call("POST", f"/connect/v1/flows/{flow}/executions/{execution_id}/replay",
                                   {"fromStep": "m", "triggerData": {"n": 2}})
    assert status == 202, body
    replayed = await finished(edge, body["data"]["executionId"])
    assert replayed["status"] == "completed" and replayed["output"] == {"a": True, "b": True, "n": 2}, replayed
    assert sum(rx.calls.values()) == calls_before  # both branches' outputs as recorded, not called again
    rx.reset()
    status, body = await edge.call("POST", f"/connect/v1/flows/{flow}/executions/{execution_id}/replay", {})
    assert status == 202, body
    again = await finished(edge, body["data"]["executionId"])
    assert again["output"] == {"a": True, "b": True, "n": 1}, again  # from the start: in flight together again
    status, body = await edge.call("GET", f"/connect/v1/flows/{flow}/executions/{again['id']}/steps")
    assert status == 200 and [s["step"] for s in body["data"]][-1] == "m", body  # the merge ran once, last


async def test_an_engine_stopped_mid_round_is_taken_over_and_each_call_repeats_with_its_key(
        edge: FlowsEdge, rx: Rendezvous) -> None:
    flow = await fan_out_flow(edge, rx.url)
    rx.held = asyncio.Event()
    doomed = await start_flows(edge.stack, internal_port=-1)
    stopped = False
    try:
        started = await start_execution(doomed, edge.workspace_id, flow, trigger={"type": "manual", "data": {"n": 3}})
        await eventually(lambda: in_flight(rx, 2), 30)  # both calls of the first engine held at the receiver
        await doomed.stop()  # its rows handed back: the edge's engine takes the execution over
        stopped = True
        await eventually(lambda: in_flight(rx, 4), 30)  # each call again from the engine taking over
        rx.held.set()
        done = await finished(edge, started["execution_id"])
    finally:
        rx.held.set()
        if not stopped:
            await doomed.stop()
    assert done["status"] == "completed" and done["output"] == {"a": True, "b": True, "n": 3}, done
    keys = sorted(rx.calls)
    assert len(keys) == 2 and all(k.startswith(started["execution_id"]) for k in keys), rx.calls
    assert [rx.calls[k] for k in keys] == [2, 2]  # the same attempt's key both times (never a third)

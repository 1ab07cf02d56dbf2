"""Poll triggers through the real gateway on the real stack with a paged provider simulator: a round follows the
stream's pagination (cursor pages, Link-header pages) up to `maxPages`, and reads through the connection the
subscription names (default: the workspace's latest connection of the provider)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from junction_common.testing.infra import eventually
from tests.flows_edge import FlowsEdge, flows_edge
from tests.flows_paged_provider import PagedProvider, paged_provider

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

Doc = dict[str, Any]
PAGED = "flows_paged"
KEY_A, KEY_B = "paged-key-a-" + "x" * 8, "paged-key-b-" + "y" * 8
# What the manifest declares, as a subscription's own config gives it (a poll without it pages as the provider view
# shows the stream's own pagination).
CURSOR = {"style": "cursor", "tokenPath": "next", "param": "cursor", "sizeParam": "limit", "pageSize": 2}
LINK = {"style": "link", "sizeParam": "limit", "pageSize": 2}


@pytest_asyncio.fixture(scope="module")
async def polls(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[FlowsEdge, PagedProvider, Doc]]:
    tmp = Path(tmp_path_factory.mktemp("polls"))
    async with paged_provider() as sim:
        sim.leads = {KEY_A: [{"id": f"A{i}", "n": i} for i in range(1, 6)], KEY_B: [{"id": f"B{i}"} for i in (1, 2, 3)]}
        sim.accounts = {KEY_B: [{"id": f"acc{i}"} for i in range(1, 6)]}
        sim.write_manifest(tmp / "providers", PAGED)
        async with flows_edge(tmp, trigger_tick_s=0.2) as edge:
            connections = {}
            for name, key in (("a", KEY_A), ("b", KEY_B)):  # b is made last: the workspace's latest
                status, body = await edge.call("POST", "/api/pipelines/connections", {
                    "name": f"Paged {name}", "type": PAGED.upper(), "credentials": {"apiKey": key}})
                assert status == 201 and body["connection"]["status"] == "CONNECTED", body
                connections[name] = body["connection"]["id"]
            yield edge, sim, connections


async def echo_flow(edge: FlowsEdge) -> str:
    body = {"name": "poll flow", "status": "published",
            "nodes": [{"id": "trigger", "type": "trigger", "config": {"kind": "poll"}},
                      {"id": "echo", "type": "transform", "config": {"output": "{{ trigger.id }}"}}],
            "edges": [{"source": "trigger", "target": "echo"}]}
    status, answer = await edge.call("POST", "/v1/workflows", body)
    assert status == 201, answer
    return str(answer["data"]["id"])


async def fired_ids(edge: FlowsEdge, flow: str, count: int) -> list[str]:
    """The trigger ids of the flow's completed executions, once there are `count` of them."""

    async def listed() -> list[str] | None:
        status, answer = await edge.call("GET", f"/v1/workflows/{flow}/executions?limit=100&status=completed")
        assert status == 200, answer
        return sorted(e["output"] for e in answer["data"]) if len(answer["data"]) >= count else None

    found: list[str] = await eventually(listed, 30)
    return found


async def poll(edge: FlowsEdge, stream_trigger: str, config: Doc, connection_id: str | None = None
               ) -> tuple[str, str]:
    flow = await echo_flow(edge)
    body = {"kind": "poll", "providerType": PAGED, "triggerName": stream_trigger,
            "config": {"intervalSeconds": 1, "fireExisting": True, **config},
            **({"connectionId": connection_id} if connection_id else {})}
    status, answer = await edge.call("POST", f"/connect/v1/flows/{flow}/triggers", body)
    assert status == 201, answer
    return flow, str(answer["data"]["id"])


async def test_a_poll_follows_cursor_pages_through_the_connection_it_names(
        polls: tuple[FlowsEdge, PagedProvider, Doc]) -> None:
    edge, sim, connections = polls
    # No pagination in the config: the stream's own, from the provider's manifest.
    flow, _ = await poll(edge, "new_lead", {"connectionId": connections["a"]})
    assert await fired_ids(edge, flow, 5) == ["A1", "A2", "A3", "A4", "A5"]  # three pages of the older connection
    assert sim.pages[KEY_A, "/leads"] >= 3


async def test_a_poll_without_a_connection_reads_the_latest_one(polls: tuple[FlowsEdge, PagedProvider, Doc]) -> None:
    edge, _, _ = polls
    flow, _ = await poll(edge, "new_lead", {"pagination": CURSOR})
    assert await fired_ids(edge, flow, 3) == ["B1", "B2", "B3"]


async def test_a_poll_follows_link_headers_and_stops_at_max_pages(polls: tuple[FlowsEdge, PagedProvider, Doc]
                                                                 ) -> None:
    edge, sim, connections = polls
    flow, _ = await poll(edge, "new_account", {}, connection_id=connections["b"])  # the manifest's Link paging
    assert await fired_ids(edge, flow, 5) == [f"acc{i}" for i in range(1, 6)]
    assert sim.pages[KEY_B, "/accounts"] >= 3
    bounded, trigger_id = await poll(edge, "new_lead", {"pagination": CURSOR, "maxPages": 2,
                                                        "connectionId": connections["a"]})
    assert await fired_ids(edge, bounded, 4) == ["A1", "A2", "A3", "A4"]  # two pages a round, never the third

    async def two_more_rounds() -> list[Doc] | None:
        path = f"/connect/v1/flows/{bounded}/triggers/{trigger_id}/skips?limit=100"
        status, answer = await edge.call("GET", path)
        assert status == 200, answer
        return answer["data"] if len(answer["data"]) >= 8 else None

    skipped = await eventually(two_more_rounds, 30)
    assert {s["itemId"] for s in skipped} == {"A1", "A2", "A3", "A4"}  # A5, on the third page, is never read
    assert {s["reason"] for s in skipped} == {"already_seen"}
    assert await fired_ids(edge, bounded, 4) == ["A1", "A2", "A3", "A4"]


async def test_bad_paging_options_are_refused(polls: tuple[FlowsEdge, PagedProvider, Doc]) -> None:
    edge, _, _ = polls
    flow = await echo_flow(edge)
    for config in ({"maxPages": 0}, {"maxPages": 101}, {"pagination": {"style": "sideways"}},
                   {"connectionId": "conn_nope"}):
        body = {"kind": "poll", "providerType": PAGED, "triggerName": "new_lead", "config": config}
        status, answer = await edge.call("POST", f"/connect/v1/flows/{flow}/triggers", body)
        assert status in (404, 422), (config, answer)


async def test_a_poll_is_edited_its_interval_paging_and_connection_checked(
        polls: tuple[FlowsEdge, PagedProvider, Doc]) -> None:
    edge, _, connections = polls
    flow, trigger_id = await poll(edge, "new_lead", {"pagination": CURSOR, "intervalSeconds": 3600})
    path = f"/connect/v1/flows/{flow}/triggers/{trigger_id}"
    for change, status_wanted in (({"config": {"intervalSeconds": 0}}, 422), ({"config": {"maxPages": 0}}, 422),
                                  ({"connectionId": "conn_nope"}, 404), ({"config": {"connectionId": "conn_x"}}, 404)):
        status, answer = await edge.call("PATCH", path, change)
        assert status == status_wanted, (change, answer)
    status, answer = await edge.call("PATCH", path, {"config": {"intervalSeconds": 1, "maxPages": 1},
                                                     "connectionId": connections["a"]})
    assert status == 200 and answer["data"]["connectionId"] == connections["a"], answer
    assert answer["data"]["config"]["intervalSeconds"] == 1 and answer["data"]["config"]["pagination"] == CURSOR

    async def fired_from_a() -> set[str] | None:
        status, answer = await edge.call("GET", f"/v1/workflows/{flow}/executions?limit=100&status=completed")
        assert status == 200, answer
        fired = {e["output"] for e in answer["data"] if e["output"].startswith("A")}
        return fired if {"A1", "A2"} <= fired else None

    assert await eventually(fired_from_a, 30) == {"A1", "A2"}  # one page of the connection it now names

"""SIGKILL the flows service (a real `python -m flows.main` process) while executions are mid-flight: a second
process takes over their leases and resumes each at the step it was in; every execution completes and no side
effect happens twice (the receiver applies each Idempotency-Key once and counts calls per key). Half the
executions start through executeWorkflow, half through the `execution.start` command on flows.commands. The flow
fans out into two parallel HTTP branches that join at a delay, so a kill lands mid-round too."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer

from conftest import create_workspace, isolated_stack, start_gateway
from flows.engine.starts import execution_id_for
from flows_contracts import executions as ex
from junction_common.envelope import CommandEnvelope
from junction_common.testing.infra import env_of
from tests.flows_receiver import flow_receiver

pytestmark = [pytest.mark.integration, pytest.mark.timeout(400)]
TOTAL = int(os.environ.get("FLOWS_CRASH_TOTAL", "40"))


async def start_flows_process(settings: Any, log_path: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, **env_of(settings), "JUNCTION_EXECUTION_LEASE_S": "3", "JUNCTION_EXECUTION_SWEEP_S": "0.2",
           "JUNCTION_LOG_LEVEL": "WARNING"}
    log = open(log_path, "ab")  # noqa: ASYNC230 (the child writes to it for its whole life)
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "flows.main", env=env, stdout=log, stderr=log,
                                                start_new_session=True)


async def call(http: aiohttp.ClientSession, url: str, key: str, method: str, path: str, body: Any = None
               ) -> tuple[int, Any]:
    async with http.request(method, url + path, json=body, headers={"Authorization": f"Bearer {key}"}) as resp:
        return resp.status, await resp.json(content_type=None)


async def until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.2)


async def test_sigkill_mid_execution_resumes_every_execution_once(tmp_path: Path) -> None:
    async with isolated_stack() as stack, flow_receiver() as rx, start_gateway(stack.gateway) as gw, \
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        workspace_id, key = await create_workspace(stack.gateway, "Durable", plan="business")
        first = await start_flows_process(stack.flows, tmp_path / "flows1.log")
        try:
            async def serving() -> bool:
                try:
                    return (await call(http, gw.url, key, "GET", "/v1/workflows"))[0] == 200
                except (OSError, aiohttp.ClientError):
                    return False

            await until(serving, 60, "the flows process never served")
            rx.delay_s = 0.2
            nodes = [{"id": "start", "type": "trigger", "config": {"kind": "webhook"}},
                     {"id": "shape", "type": "transform", "config": {"output": {"n": "{{ trigger.n }}"}}},
                     {"id": "a", "type": "http_request", "config": {"method": "POST", "url": rx.url + "/a",
                                                                   "body": "{{ steps.shape }}"}},
                     {"id": "c", "type": "http_request", "config": {"method": "POST", "url": rx.url + "/c",
                                                                   "body": {"n": "{{ trigger.n }}"}}},
                     {"id": "pause", "type": "delay", "config": {"seconds": 1}},
                     {"id": "b", "type": "http_request", "config": {"method": "POST", "url": rx.url + "/b",
                                                                   "body": {"n": "{{ trigger.n }}"}}}]
            edges = [{"source": s, "target": t} for s, t in (("start", "shape"), ("shape", "a"), ("shape", "c"),
                                                               ("a", "pause"), ("c", "pause"), ("pause", "b"))]
            status, body = await call(http, gw.url, key, "POST", "/v1/workflows",
                                      {"name": "Durable", "nodes": nodes, "edges": edges, "status": "published"})
            assert status == 201, body
            flow = body["data"]["id"]
            ids = await _start_all(http, gw.url, key, stack, workspace_id, flow)
            await until(lambda: _some(rx, TOTAL // 4), 60, "no effects before the kill")
            os.killpg(first.pid, signal.SIGKILL)
            await first.wait()
            effects_at_kill = len(rx.effects)
            second = await start_flows_process(stack.flows, tmp_path / "flows2.log")
            try:
                async def all_done() -> bool:
                    states = [await call(http, gw.url, key, "GET", f"/v1/executions/{i}") for i in ids]
                    return all(s == 200 and b["data"]["status"] == "completed" for s, b in states)

                await until(all_done, 180, "not every execution completed after the takeover")
            finally:
                second.send_signal(signal.SIGTERM)
                await asyncio.wait_for(second.wait(), 30)
        finally:
            if first.returncode is None:
                os.killpg(first.pid, signal.SIGKILL)
        assert effects_at_kill < 3 * TOTAL, "the kill came after every effect: nothing was resumed"
        for path in ("/a", "/b", "/c"):
            applied = rx.effects_on(path)
            assert sorted(e["body"]["n"] for e in applied) == list(range(TOTAL)), path
            keys = [e["key"] for e in applied]
            assert len(set(keys)) == TOTAL and {k.split(":")[0] for k in keys} == set(ids)
        resent = sum(n - 1 for n in rx.calls.values())
        print(f"flows SIGKILL: {TOTAL} executions, {effects_at_kill} effects before the kill, {resent} calls resent")


async def _some(rx: Any, n: int) -> bool:
    return len(rx.effects) >= n


async def _start_all(http: aiohttp.ClientSession, url: str, key: str, stack: Any, workspace_id: str,
                     flow: str) -> list[str]:
    """Half through executeWorkflow, half through the execution.start command (a trigger source's seam)."""
    ids = []
    for n in range(TOTAL // 2):
        status, body = await call(http, url, key, "POST", f"/v1/workflows/{flow}/execute", {"input": {"n": n}})
        assert status == 200, body
        ids.append(body["data"]["execution_id"])
    producer = AIOKafkaProducer(bootstrap_servers=stack.flows.kafka_bootstrap)
    await producer.start()
    try:
        for n in range(TOTAL // 2, TOTAL):
            start = ex.StartExecution(workflow_id=flow, trigger=ex.Trigger(type="webhook", data={"n": n}),
                                      source="test", idempotency_key=f"durable-{flow}-{n}")
            cmd = CommandEnvelope(type=ex.START, aggregate_id=flow, workspace_id=workspace_id,
                                  data=start.model_dump())
            await producer.send_and_wait(stack.flows.topic("flows.commands"), cmd.to_bytes(), key=flow.encode())
            ids.append(execution_id_for(f"durable-{flow}-{n}"))
    finally:
        await producer.stop()
    return ids

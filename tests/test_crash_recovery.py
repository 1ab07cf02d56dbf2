"""SIGKILL the crm service while 500 contacts are being created: nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

from junction_common.mongo import create_client
from junction_common.testing.infra import drop_databases, env_of, eventually

pytestmark = pytest.mark.integration

TOTAL = int(os.environ.get("CRASH_TOTAL", "500"))  # `make chaos` runs it with thousands
CONCURRENCY = 16
KILL_AFTER = TOTAL * 3 // 10


def open_log(path: str):
    return open(path, "ab")  # the child process writes to it for its whole life


async def start_crm(settings, log_path: str) -> asyncio.subprocess.Process:
    log = open_log(log_path)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "crm.main", env={**os.environ, **env_of(settings)},
        stdout=log, stderr=log, start_new_session=True,
    )


async def post_contact(http, gateway, key, i):
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": f"create-{i}"}
    body = {"name": f"Crash Person {i}", "email": f"crash{i}@example.com"}
    for _ in range(20):
        try:
            async with http.post(f"{gateway.url}/v1/contacts", json=body, headers=headers) as resp:
                status, payload = resp.status, await resp.json()
        except Exception:
            await asyncio.sleep(0.2)
            continue
        if status == 201:
            return payload["data"]["id"]
        if status == 429:
            await asyncio.sleep(float(payload.get("error", {}).get("details", {}).get("retry_after", 1)))
            continue
        if status in (202, 409):  # accepted while the crm was down, or our own earlier try still in flight
            await asyncio.sleep(0.5)
            continue
        raise AssertionError(f"unexpected {status}: {payload}")
    raise AssertionError(f"contact {i} never became readable")


async def test_sigkill_during_500_creates_loses_and_doubles_nothing(stack_settings, gateway, workspace, http,
                                                                   tmp_path):
    _, key = workspace
    crm_settings = stack_settings.crm
    log_path = str(tmp_path / "crm.log")
    proc = await start_crm(crm_settings, log_path)
    done = 0
    killed = asyncio.Event()
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one(i):
        nonlocal done
        async with sem:
            contact_id = await post_contact(http, gateway, key, i)
        done += 1
        if done == KILL_AFTER and not killed.is_set():
            killed.set()
        return contact_id

    async def killer():
        nonlocal proc
        await killed.wait()
        os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        await asyncio.sleep(1.0)
        proc = await start_crm(crm_settings, log_path)

    kill_task = asyncio.create_task(killer())
    try:
        ids = await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(TOTAL))), 600)
        await kill_task
        assert len(set(ids)) == TOTAL
        client = create_client(crm_settings)
        db = client[crm_settings.db_name("crm")]

        async def settled():
            return await db["contacts"].count_documents({}) == TOTAL and \
                await db["event_commits"].count_documents({"published": False}) == 0

        await eventually(settled, timeout=120)
        assert await db["contacts"].count_documents({}) == TOTAL
        events = 0
        # Only the contacts' streams: a new workspace also commits its default pipeline's stages.
        async for commit in db["event_commits"].find({}, {"stream_id": 1, "version": 1, "base_version": 1}):
            if commit["stream_id"].startswith("con_"):
                events += commit["version"] - commit["base_version"]
        assert events == TOTAL
        names = {d["name"] async for d in db["contacts"].find({}, {"name": 1})}
        assert names == {f"Crash Person {i}" for i in range(TOTAL)}
        await client.close()
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGTERM)
            await proc.wait()
        await drop_databases(crm_settings)

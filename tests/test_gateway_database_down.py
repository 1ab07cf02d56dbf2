"""While the database is unreachable the gateway answers 503 + Retry-After within seconds, and is unready.

The gateway runs against a private nx-27017 server that the test SIGKILLs (the shared one is untouched).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import create_workspace, start_gateway
from junction_common.infra import nx27017
from junction_common.infra.paths import paths_for
from junction_common.infra.process import tcp_reachable
from junction_common.settings import JunctionSettings
from junction_common.testing.infra import free_port

pytestmark = pytest.mark.integration


def _start_private_server(data: Path, port: int) -> subprocess.Popen[bytes]:
    paths = paths_for(JunctionSettings())
    if not nx27017.installed(paths):
        pytest.skip("the managed nx-27017 is not installed (external MongoDB in use)")
    data.mkdir(parents=True, exist_ok=True)
    argv = nx27017.serve_argv(paths.nx_venv, str(data), port, data / "self.pid")  # as the managed server runs
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if tcp_reachable("127.0.0.1", port):
            return proc
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("private nx-27017 did not start")


async def test_database_down_is_503_fast_and_unready(stack_settings, http, tmp_path):
    port = free_port()
    server = _start_private_server(tmp_path / "db", port)
    try:
        settings = stack_settings.gateway.model_copy(
            update={"mongodb_url": f"mongodb://127.0.0.1:{port}/?directConnection=true", "auth_cache_s": 60.0})
        _, key = await create_workspace(settings, plan="business")
        headers = {"Authorization": f"Bearer {key}"}
        async with start_gateway(settings) as gw:
            # The gateway's own data (keys, idempotency records) is what it needs the database for: the
            # crm's reads are the crm's (and no crm runs here).
            async with http.get(f"{gw.url}/v1/api-keys", headers=headers) as resp:
                assert resp.status == 200  # the key is now cached; what follows needs the database
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
            for method, path, body in (("POST", "/v1/contacts", {"name": "Nobody"}), ("GET", "/v1/api-keys", None)):
                started = time.monotonic()
                async with http.request(method, f"{gw.url}{path}", json=body,
                                        headers={**headers, "Idempotency-Key": "down-1"}) as resp:
                    answer = await resp.json()
                    assert resp.status == 503, answer
                    assert resp.headers["Retry-After"] == str(settings.unavailable_retry_after_s)
                assert answer["error"]["code"] == "SERVICE_UNAVAILABLE" and answer["request_id"]
                assert time.monotonic() - started < settings.mongo_selection_timeout_s * 2 + 2
            async with http.get(f"{gw.url}/readyz") as resp:
                assert resp.status == 503
                assert (await resp.json())["checks"] == {"database": "unreachable", "kafka": "ok"}
            server = _start_private_server(tmp_path / "db", port)
            await asyncio.sleep(0.5)
            async with http.get(f"{gw.url}/readyz") as resp:
                assert resp.status == 200
            async with http.get(f"{gw.url}/v1/api-keys", headers=headers) as resp:
                assert resp.status == 200
    finally:
        server.kill()
        server.wait()

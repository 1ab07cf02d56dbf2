"""A whole Junction on private servers: Kafka, nx-27017, crm, webhooks and the gateway as OS processes.

Every piece runs as its own process group, so a fault is a real SIGKILL and a restart is a cold start.
The shared Kafka and MongoDB-protocol server other tests use are never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from junction_common.identity import IdentityStore
from junction_common.infra.paths import paths_for
from junction_common.infra.private import PrivateInfra, free_port
from junction_common.infra.process import kill_group, pid_alive, stop_pid
from junction_common.mongo import create_client
from junction_common.settings import JunctionSettings

SERVICES = {"crm": "crm.main", "webhooks": "webhooks.main", "gateway": "gateway.main"}
READY_TIMEOUT_S = 90.0


@dataclass
class ServiceProc:
    """One Junction service as a child process group, its output appended to `log`."""

    name: str
    env: dict[str, str]
    log: Path
    health_url: str
    pid: int | None = None

    def start(self) -> None:
        import subprocess

        with self.log.open("ab") as out:
            proc = subprocess.Popen([sys.executable, "-m", SERVICES[self.name]], stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env,
                                    start_new_session=True)
        proc.returncode = 0  # reaped through pid_alive; keep Popen from warning about it
        self.pid = proc.pid

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown hook runs."""
        if self.pid is not None:
            kill_group(self.pid)
            self.pid = None

    def stop(self) -> None:
        if self.pid is not None and pid_alive(self.pid):
            stop_pid(self.pid, 10.0)
        self.pid = None

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> float:
        """Seconds until the health URL answers 200; fails with the end of the log."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.pid is None or not pid_alive(self.pid):
                raise RuntimeError(f"{self.name} exited:\n{tail(self.log)}")
            try:
                with urllib.request.urlopen(self.health_url, timeout=2) as resp:
                    if resp.status == 200:
                        return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f}s:\n{tail(self.log)}")


@dataclass
class ChaosStack:
    """Private servers plus the three services, with names no other run shares."""

    infra: PrivateInfra
    logs: Path
    services: dict[str, ServiceProc] = field(default_factory=dict)
    settings: JunctionSettings | None = None

    @property
    def gateway_url(self) -> str:
        return self.services["gateway"].health_url.removesuffix("/readyz")

    def start_service(self, name: str) -> float:
        proc = self.services[name]
        proc.start()
        return proc.wait_ready()


def base_env(infra: PrivateInfra, tag: str, home: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """What every service process of one run sees: the private servers and names of its own."""
    return {
        **os.environ,
        "JUNCTION_ENV": "test",
        "JUNCTION_HOME": str(home),
        "JUNCTION_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        "JUNCTION_MONGODB_URL": infra.mongodb_url,
        "JUNCTION_TOPIC_PREFIX": f"c{tag}.",
        "JUNCTION_DB_PREFIX": f"c{tag}_",
        "JUNCTION_LOG_JSON": "true",
        "JUNCTION_LOG_LEVEL": "INFO",
        **extra,
    }


@contextlib.contextmanager
def chaos_stack(home: Path, services: tuple[str, ...] = ("crm", "webhooks", "gateway"),
                env: Mapping[str, str] | None = None, infra: PrivateInfra | None = None) -> Iterator[ChaosStack]:
    """Start private Kafka and nx-27017 (unless `infra` is given) and `services`; stop them after."""
    own_infra = infra is None
    infra = infra or PrivateInfra.create(home / "infra", paths_for(JunctionSettings()))
    tag = uuid.uuid4().hex[:8]
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    common = base_env(infra, tag, home, env or {})
    stack = ChaosStack(infra, logs)
    try:
        if own_infra:
            infra.start_kafka()
            infra.start_mongo()
        internal = {name: free_port() for name in SERVICES if name != "gateway"}
        for name in services:
            port = free_port()
            if name == "gateway":
                urls = {svc: f"http://127.0.0.1:{p}" for svc, p in internal.items()}
                extra = {"JUNCTION_GATEWAY_PORT": str(port), "JUNCTION_SERVICE_URLS": json.dumps(urls)}
                url = f"http://127.0.0.1:{port}/readyz"
            else:
                extra = {"JUNCTION_HEALTH_PORT": str(port), "JUNCTION_INTERNAL_PORT": str(internal[name])}
                url = f"http://127.0.0.1:{port}/healthz"
            stack.services[name] = ServiceProc(name, {**common, **extra}, logs / f"{name}.log", url)
            stack.services[name].start()  # all at once: the gateway declares the topics it publishes to
        for proc in stack.services.values():
            proc.wait_ready()
        stack.settings = JunctionSettings(env="test", kafka_bootstrap=infra.kafka_bootstrap,
                                          mongodb_url=infra.mongodb_url, topic_prefix=f"c{tag}.",
                                          db_prefix=f"c{tag}_", home=home)
        yield stack
    finally:
        for proc in reversed(list(stack.services.values())):
            with contextlib.suppress(Exception):
                proc.stop()
        if own_infra:
            infra.stop()


async def create_workspace(settings: JunctionSettings, plan: str = "business") -> tuple[str, str]:
    """A workspace on `plan` and an API key for it, written straight to the identity database."""
    client = create_client(settings)
    try:
        store = IdentityStore(client[settings.db_name("identity")], settings.signing_secret)
        await store.ensure_indexes()
        workspace, key = await store.create_workspace("Chaos", plan)
        return str(workspace["_id"]), str(key)
    finally:
        await client.close()


def tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


async def wait_for(check: Any, timeout: float, interval: float = 0.5) -> Any:
    """Await `check()` until truthy; return the last value at the deadline (the caller judges it)."""
    deadline = time.monotonic() + timeout
    value = await check()
    while not value and time.monotonic() < deadline:
        await asyncio.sleep(interval)
        value = await check()
    return value

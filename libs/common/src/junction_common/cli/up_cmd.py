"""`junction up` / `junction down`: infrastructure, then every service, then the gateway on :8000."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from urllib.parse import urlsplit

from junction_common.cli import readiness
from junction_common.cli.processes import ServiceProcess, processes
from junction_common.infra import manager
from junction_common.settings import JunctionSettings

_READY_TIMEOUT_S = 120.0


def _say(message: str) -> None:
    sys.stderr.write(f"[junction] {message}\n")
    sys.stderr.flush()


def _start_all(settings: JunctionSettings) -> list[ServiceProcess]:
    endpoints = manager.ensure_up(settings)
    env = {**os.environ, "JUNCTION_KAFKA_BOOTSTRAP": endpoints.kafka_bootstrap,
           "JUNCTION_MONGODB_URL": endpoints.mongodb_url}
    # The gateway serves its internal API (members, for the services) where JUNCTION_SERVICE_URLS says it is.
    gateway_internal = urlsplit(settings.service_urls.get("gateway", "")).port
    if gateway_internal is not None:
        env.setdefault("JUNCTION_GATEWAY_INTERNAL_PORT", str(gateway_internal))
    # URLs handed to users (webhook URLs, OAuth redirect URIs) point at this gateway unless the operator says where.
    env.setdefault("JUNCTION_PUBLIC_BASE_URL", f"http://127.0.0.1:{env.get('JUNCTION_GATEWAY_PORT', '8000')}")
    procs = processes(settings)
    for proc in procs:
        if proc.pid() is None:
            _say(f"starting {proc.name} (log: {proc.log_file})")
            proc.start(env)
        else:
            _say(f"{proc.name} already running (pid {proc.pid()})")
    return procs


def _run_up(args: argparse.Namespace) -> int:
    settings = JunctionSettings()
    procs = _start_all(settings)
    port = int(os.environ.get("JUNCTION_GATEWAY_PORT", "8000"))
    # "Up" means every service answers: one still joining its Kafka groups would answer the gateway's calls 503.
    not_ready = readiness.wait_ready(readiness.probes(port, settings.service_urls), _READY_TIMEOUT_S, _say)
    if not_ready:
        logs = {proc.name: proc.log_file for proc in procs}
        for name in not_ready:
            _say(f"{name} did not become ready; see {logs.get(name.split(' ')[0], settings.home / 'logs')}")
        return 1
    _say(f"Junction is up: http://127.0.0.1:{port} (API docs: /api/docs); logs in {settings.home / 'logs'}")
    _say("create a workspace: junction workspace create --name Acme --plan free")
    _say(_webhook_targets(settings.env))
    if args.detach:
        return 0
    _say("press Ctrl-C to stop everything")
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    try:
        while not stop["now"]:
            time.sleep(1.0)
    except KeyboardInterrupt:
        pass
    return _run_down(args)


def _run_down(args: argparse.Namespace) -> int:
    settings = JunctionSettings()
    for proc in reversed(processes(settings)):
        if proc.stop():
            _say(f"stopped {proc.name}")
    if not getattr(args, "keep_infra", False):
        manager.down(settings)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    up = sub.add_parser("up", help="start infrastructure, every service and the gateway on 127.0.0.1:8000")
    up.add_argument("--detach", action="store_true", help="return once everything is up")
    up.set_defaults(func=_run_up)
    down = sub.add_parser("down", help="stop every service and the infrastructure")
    down.add_argument("--keep-infra", action="store_true", help="leave Kafka and MongoDB running")
    down.set_defaults(func=_run_down)


def _webhook_targets(env: str) -> str:
    """Where webhooks may go with these settings (the webhooks service logs the same at start)."""
    allowed = os.environ.get("JUNCTION_WEBHOOK_ALLOW_NETWORKS")
    if allowed is None:
        allowed = "127.0.0.0/8,::1/128" if env in ("development", "test") else ""
    if allowed:
        return f"webhooks may target these private networks (JUNCTION_WEBHOOK_ALLOW_NETWORKS): {allowed}" + (
            " - the local default, so an endpoint can point at a receiver on this machine" if env == "development"
            else "")
    return "webhooks go to public addresses only (no private network admitted)"

"""`junction status`: infrastructure, each service process, and consumer lag per group."""

from __future__ import annotations

import argparse
import asyncio
import json

from junction_common.bus.lag import consumer_lag
from junction_common.cli.processes import processes
from junction_common.infra import manager
from junction_common.settings import JunctionSettings


def _run_status(args: argparse.Namespace) -> int:
    settings = JunctionSettings()
    infra = manager.status(settings)
    services = {p.name: {"running": p.pid() is not None, "pid": p.pid(), "log": str(p.log_file)}
                for p in processes(settings)}
    report: dict[str, object] = {"infra": infra, "services": services}
    try:
        report["consumer_lag"] = asyncio.run(
            asyncio.wait_for(consumer_lag(settings.kafka_bootstrap, settings.topic_prefix), 15)
        )
    except Exception as exc:
        report["consumer_lag"] = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(report, indent=2, default=str))
    return 0 if all(s["running"] for s in services.values()) else 1


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    status = sub.add_parser("status", help="infrastructure, services and consumer lag")
    status.set_defaults(func=_run_status)

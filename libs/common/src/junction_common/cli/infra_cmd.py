"""`junction infra up|down|status`: the self-installed Kafka and MongoDB-protocol server."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from junction_common.infra import InfraError, down, ensure_up, status
from junction_common.settings import JunctionSettings

_DESCRIPTION = """\
Without Docker, Junction installs and runs its own Kafka (Apache's jars from Maven Central, Java 17+)
and MongoDB-protocol server (FerretDB on SQLite, or nx-27017 on SQLite when FerretDB cannot be built;
choose with JUNCTION_MONGO_SERVER=auto|ferretdb|nx27017), cached under JUNCTION_HOME, on 127.0.0.1.
Setting JUNCTION_KAFKA_BOOTSTRAP or JUNCTION_MONGODB_URL declares that server external: it is only
waited for, never installed or started (JUNCTION_INFRA_MANAGED=1 overrides this)."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `infra` command and its `up`, `down` and `status` sub-commands."""
    parser = subparsers.add_parser(
        "infra",
        help="install, start, stop or inspect the local Kafka and MongoDB-protocol server",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="infra_command", required=True)
    up = actions.add_parser("up", help="install (cached) and start both servers; idempotent")
    up.set_defaults(func=_up)
    stop = actions.add_parser("down", help="stop the managed servers (data is kept)")
    stop.set_defaults(func=_down)
    report = actions.add_parser("status", help="report both servers (exit code 3 when one is not running)")
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.set_defaults(func=_status)


def _up(args: argparse.Namespace) -> int:
    try:
        endpoints = ensure_up(JunctionSettings())
    except InfraError as exc:
        return _fail(exc)
    print(f"JUNCTION_KAFKA_BOOTSTRAP={endpoints.kafka_bootstrap}")
    print(f"JUNCTION_MONGODB_URL={endpoints.mongodb_url}")
    return 0


def _down(args: argparse.Namespace) -> int:
    try:
        down(JunctionSettings())
    except InfraError as exc:
        return _fail(exc)
    return 0


def _status(args: argparse.Namespace) -> int:
    report = status(JunctionSettings())
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"home   {report['home']}")
        for name in ("kafka", "mongo"):
            print(_status_line(name, report[name]))
    return 0 if report["kafka"]["running"] and report["mongo"]["running"] else 3


def _status_line(name: str, entry: dict[str, Any]) -> str:
    state = "running" if entry["running"] else "stopped"
    pid = f" pid {entry['pid']}" if entry.get("pid") else ""
    kind = entry.get("kind") or "?"
    version = f" {entry['version']}" if entry.get("version") else ""
    return f"{name:<6} {state:<8} {entry['mode']:<9} {entry['address']}  {kind}{version}{pid}"


def _fail(exc: InfraError) -> int:
    print(f"[infra] error: {exc}", file=sys.stderr)
    return 1

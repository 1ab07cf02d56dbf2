"""`junction keys rotate`: every sealed secret re-encrypted under the active vault key, with no downtime.

The operator's steps: add the new key to JUNCTION_VAULT_KEYS and make it JUNCTION_VAULT_ACTIVE_KEY on every
service (restart them: both keys open, new secrets are sealed under the new one); run `junction keys rotate`;
when every service reports no failure, remove the old key and restart again.

The command reads no service's database: it asks each service holding sealed secrets to re-wrap its own,
through that service's internal API (`POST /internal/runtime/keys/rotate`), signed with the internal secret as
a SERVICE principal of every workspace (`*`). It prints one JSON summary per service; exit 1 if any secret
could not be re-wrapped or a service did not answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from junction_common.settings import JunctionSettings
from junction_common.web.peers import PeerClient, PeerUnavailable

# The services that hold sealed secrets and serve the rotation route.
ROTATING_SERVICES = ("connections", "webhooks", "flows")
ROTATE_PATH = "/runtime/keys/rotate"
EVERY_WORKSPACE = "*"


async def rotate_keys(settings: JunctionSettings, services: tuple[str, ...] = ROTATING_SERVICES,
                      timeout_s: float = 600.0) -> dict[str, Any]:
    """Each service's rotation summary (`rotated`, `current`, `failed`), or its error."""
    client = PeerClient(settings, caller="cli")
    report: dict[str, Any] = {}
    try:
        for service in services:
            try:
                answer = await client.call("POST", service, ROTATE_PATH, EVERY_WORKSPACE, timeout_s=timeout_s)
            except PeerUnavailable as exc:
                report[service] = {"error": str(exc)}
                continue
            report[service] = answer.body if answer.ok else {"error": f"HTTP {answer.status}", "body": answer.body}
    finally:
        await client.close()
    return report


def succeeded(report: dict[str, Any]) -> bool:
    return all(isinstance(r, dict) and "error" not in r and not r.get("failed") for r in report.values())


def _run_rotate(args: argparse.Namespace) -> int:
    services = tuple(args.service) if args.service else ROTATING_SERVICES
    report = asyncio.run(rotate_keys(JunctionSettings(), services))
    print(json.dumps(report, indent=2))
    return 0 if succeeded(report) else 1


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    keys = sub.add_parser("keys", help="vault keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    rotate = keys_sub.add_parser("rotate", help="re-encrypt every sealed secret under the active vault key")
    rotate.add_argument("--service", action="append", choices=ROTATING_SERVICES,
                        help="only this service (repeatable); default: every service holding secrets")
    rotate.set_defaults(func=_run_rotate)

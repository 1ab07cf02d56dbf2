"""`junction workspace create --name N --plan P`: prints `{"workspace_id", "api_key"}` for scripts; the new
workspace starts with the crm's default sales pipeline (see junction_common.workspaces)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from junction_common.identity import PLANS
from junction_common.settings import JunctionSettings
from junction_common.workspaces import create_workspace


async def _create(name: str, plan: str) -> dict[str, str]:
    """The workspace and its owner key; the crm sets it up (default sales pipeline) from the command it is sent."""
    workspace, api_key = await create_workspace(JunctionSettings(), name, plan)
    return {"workspace_id": workspace["_id"], "api_key": api_key}


def _run_create(args: argparse.Namespace) -> int:
    if not args.name.strip():
        sys.stderr.write("junction: --name must not be empty\n")
        return 2
    print(json.dumps(asyncio.run(_create(args.name.strip(), args.plan))))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ws = sub.add_parser("workspace", help="manage workspaces")
    ws_sub = ws.add_subparsers(dest="workspace_command", required=True)
    create = ws_sub.add_parser("create", help="create a workspace and print its owner API key as JSON")
    create.add_argument("--name", required=True)
    create.add_argument("--plan", default="free", choices=PLANS)
    create.set_defaults(func=_run_create)

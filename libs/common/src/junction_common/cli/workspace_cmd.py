"""`junction workspace create --name N --plan P`: prints `{"workspace_id", "api_key"}` for scripts."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from junction_common.identity import PLANS, IdentityStore
from junction_common.mongo import create_client
from junction_common.settings import JunctionSettings


async def _create(name: str, plan: str) -> dict[str, str]:
    settings = JunctionSettings()
    client = create_client(settings)
    try:
        store = IdentityStore(client[settings.db_name("identity")], settings.signing_secret)
        await store.ensure_indexes()
        workspace, api_key = await store.create_workspace(name, plan)
        return {"workspace_id": workspace["_id"], "api_key": api_key}
    finally:
        await client.close()


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

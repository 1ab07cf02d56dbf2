"""`python -m sync.runtime install [package==version ...]`: install connector environments ahead of a first sync
(airbyte-cdk at its pin when none is named), so that sync does not wait for the download. Prints each one ready."""

from __future__ import annotations

import argparse
import asyncio

from sync.runtime.environments import CDK_PACKAGE, ConnectorEnvironments
from sync.runtime.refs import SourceFailed
from sync.runtime.runtime import ConnectorRuntime
from sync.settings import SyncSettings


async def install(requirements: list[str]) -> None:
    """Install each `package==version` (the declarative engine when none) and print where it is."""
    settings = SyncSettings()
    environments = ConnectorEnvironments(settings)
    wanted = requirements or [f"{CDK_PACKAGE}=={ConnectorRuntime(settings).cdk_version}"]
    for requirement in wanted:
        package, _, version = requirement.partition("==")
        installed = await environments.ensure(package, version)
        print(f"{installed.package}=={installed.version} ready in {installed.venv}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sync.runtime", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("install", help="install connector environments now")
    command.add_argument("requirements", nargs="*", help="package==version (default: airbyte-cdk at its pin)")
    args = parser.parse_args()
    try:
        asyncio.run(install(args.requirements))
    except SourceFailed as failed:
        raise SystemExit(f"error: {failed.message}") from None


if __name__ == "__main__":
    main()

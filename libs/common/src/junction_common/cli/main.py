"""Entry point of the `junction` command: each sub-command lives in its own module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from importlib import import_module

# Each module exposes `register(subparsers)` and sets `func` on its parsers.
_COMMAND_MODULES = (
    "junction_common.cli.infra_cmd",
    "junction_common.cli.up_cmd",
    "junction_common.cli.status_cmd",
    "junction_common.cli.workspace_cmd",
    "junction_common.cli.replay_cmd",
    "junction_common.cli.keys_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="junction", description="Operate a Junction installation.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in _COMMAND_MODULES:
        import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    sys.exit(func(args))


if __name__ == "__main__":
    main()

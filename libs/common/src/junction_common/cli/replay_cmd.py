"""`junction replay`: move a consumer group back over a topic, or rebuild a projection; `junction dlq`."""

from __future__ import annotations

import argparse
import asyncio
import fnmatch
import json
import sys
from datetime import datetime

from junction_common.bus.dlq import list_dlq, redrive
from junction_common.bus.ranges import reset_group
from junction_common.projections.rebuild import rebuild, registered_projections
from junction_common.settings import JunctionSettings


def _run_topic(args: argparse.Namespace) -> int:
    settings = JunctionSettings()
    from_ms = int(datetime.fromisoformat(args.from_time).timestamp() * 1000) if args.from_time else None
    try:
        targets = asyncio.run(reset_group(settings.kafka_bootstrap, args.group, settings.topic(args.topic),
                                          args.from_offset, from_ms, args.partition))
    except RuntimeError as exc:
        sys.stderr.write(f"junction replay: {exc}\n")
        return 2
    print(json.dumps({"group": args.group, "offsets": {f"{tp.topic}[{tp.partition}]": o
                                                       for tp, o in targets.items()}}))
    return 0


def _run_projection(args: argparse.Namespace) -> int:
    known = registered_projections()
    chosen = sorted(name for name in known if fnmatch.fnmatchcase(name, args.name))
    if not chosen:
        sys.stderr.write(f"junction replay: unknown projection {args.name!r}; known: {', '.join(sorted(known))}\n")
        return 2
    settings = JunctionSettings()
    for name in chosen:
        print(json.dumps(asyncio.run(rebuild(settings, known[name])).__dict__))
    return 0


def _run_dlq_list(args: argparse.Namespace) -> int:
    settings = JunctionSettings()
    print(json.dumps(asyncio.run(list_dlq(settings, args.topic, args.limit)), indent=2))
    return 0


def _run_dlq_redrive(args: argparse.Namespace) -> int:
    settings = JunctionSettings()
    print(json.dumps({"redriven": asyncio.run(redrive(settings, args.topic))}))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    replay = sub.add_parser("replay", help="replay a topic into a consumer group, or rebuild a projection")
    rsub = replay.add_subparsers(dest="replay_command", required=True)
    topic = rsub.add_parser("topic", help="move a stopped consumer group back to an offset or a time")
    topic.add_argument("--topic", required=True)
    topic.add_argument("--group", required=True)
    where = topic.add_mutually_exclusive_group(required=True)
    where.add_argument("--from-offset", type=int)
    where.add_argument("--from-time", help="ISO 8601 time, e.g. 2026-11-23T10:00:00+00:00")
    topic.add_argument("--partition", type=int)
    topic.set_defaults(func=_run_topic)
    proj = rsub.add_parser("projection", help="rebuild a projection from the start into a new collection, swap")
    proj.add_argument("name", help="a projection, e.g. crm.contacts, or a pattern such as 'crm.*'")
    proj.set_defaults(func=_run_projection)
    dlq = sub.add_parser("dlq", help="inspect and redrive dead-lettered messages")
    dsub = dlq.add_subparsers(dest="dlq_command", required=True)
    lst = dsub.add_parser("list", help="show messages parked in <topic>.dlq")
    lst.add_argument("--topic", required=True, help="the original topic, e.g. crm.commands")
    lst.add_argument("--limit", type=int, default=50)
    lst.set_defaults(func=_run_dlq_list)
    red = dsub.add_parser("redrive", help="publish parked messages back to their original topic, once each")
    red.add_argument("--topic", required=True)
    red.set_defaults(func=_run_dlq_redrive)

"""`python -m tests.bench.counted <module>`: run `<module>` as __main__ with pymongo command monitoring.

Every MongoDB command the process sends (handshakes and heartbeats aside) is counted by name and
collection; the counts are written as JSON to `$BENCH_COUNT_FILE` twice a second and at exit, so the bench
can take the difference over a measured run. Production code carries no instrumentation for this.
"""

from __future__ import annotations

import atexit
import collections
import json
import os
import runpy
import sys
import threading
import time

from pymongo import monitoring

_SKIP = {"hello", "ismaster", "isMaster", "ping", "endSessions", "buildInfo", "buildinfo"}


class CommandCounter(monitoring.CommandListener):
    """Counts started commands as `<command> <collection>`."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in _SKIP:
            return
        target = event.command.get(event.command_name)
        self.counts[f"{event.command_name} {target if isinstance(target, str) else ''}".strip()] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def _dump(counter: CommandCounter, path: str) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as out:
        json.dump(dict(counter.counts), out)
    os.replace(tmp, path)


def _dumper(counter: CommandCounter, path: str) -> None:
    while True:
        time.sleep(0.5)
        _dump(counter, path)


def main() -> None:
    module = sys.argv[1]
    path = os.environ["BENCH_COUNT_FILE"]
    counter = CommandCounter()
    monitoring.register(counter)
    atexit.register(_dump, counter, path)
    threading.Thread(target=_dumper, args=(counter, path), daemon=True).start()
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()

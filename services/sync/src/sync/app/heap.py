"""The service's startup heap kept out of Python's full collections, also when sync runs in-process (tests, the
bench): a sync batch allocates tens of thousands of small dicts, so the collector runs often (see
`junction_common.heap`; `serve` does the same for every service's own process)."""

from __future__ import annotations

from junction_common.heap import freeze_startup_heap, release_startup_heap
from junction_common.service import ServiceRuntime


class FrozenHeap:
    """A component, last of the service's: freezes the heap the service started with."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime

    async def prepare(self) -> None:
        return None

    async def start(self) -> None:
        freeze_startup_heap()

    async def stop(self) -> None:
        release_startup_heap()

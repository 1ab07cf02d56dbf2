"""A started process's heap kept out of Python's full collections.

Each full (oldest generation) collection walks every object the process holds: ~200,000 from startup alone
(modules, pydantic models and schemas, FastAPI routes, the catalogue). Once a service or the gateway has started,
its heap is collected once and frozen (`gc.freeze`: still alive, never walked again); stopping unfreezes it.
Measured: 1.2-1.7 s of full collections per 10,000-row sync, 0.4-0.5 s frozen (docs/sync.md); the flows bench's
flows and gateway CPU per execution down in 5 of 6 interleaved pairs (docs/flows.md).

Then the young generation is collected every 10,000 net allocations instead of 700 (and the older ones every 20
collections of the one below instead of 10): a request or an execution allocates thousands of short-lived objects,
most freed by reference counting, so the default collected the young objects of every few requests again and
again. Measured (docs/flows.md, four interleaved pairs): the flows process's CPU per execution 8% lower and the
gateway's 11%, each against the receiver's (the same work every run: the machine's speed that sitting).
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD, OLDER_THRESHOLD = 10_000, 20
_thresholds_before: list[tuple[int, int, int]] = []


def freeze_startup_heap() -> None:
    """Collect once, then keep every object alive now out of later collections, and collect less often."""
    gc.collect()
    gc.freeze()
    _thresholds_before.append(gc.get_threshold())
    gc.set_threshold(YOUNG_THRESHOLD, OLDER_THRESHOLD, OLDER_THRESHOLD)


def release_startup_heap() -> None:
    """Hand the frozen objects back to the collector, and its thresholds as they were (at stop)."""
    gc.unfreeze()
    if _thresholds_before:
        gc.set_threshold(*_thresholds_before.pop())

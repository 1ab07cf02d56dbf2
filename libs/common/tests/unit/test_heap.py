"""A started process's heap: frozen, collected less often, and handed back as it was at stop."""

from __future__ import annotations

import gc

from junction_common.heap import OLDER_THRESHOLD, YOUNG_THRESHOLD, freeze_startup_heap, release_startup_heap


def test_freeze_collects_less_often_and_release_restores_the_thresholds() -> None:
    before = gc.get_threshold()
    freeze_startup_heap()
    try:
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (YOUNG_THRESHOLD, OLDER_THRESHOLD, OLDER_THRESHOLD)
    finally:
        release_startup_heap()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before

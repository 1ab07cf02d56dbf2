"""The names tests give their topics and databases: unique, and telling their age to the stale-name purge."""

from __future__ import annotations

import time

from junction_common.settings import JunctionSettings
from junction_common.testing.infra import STALE_AFTER_S, is_stale_test_name, isolated


def test_isolated_names_are_fresh_and_distinct() -> None:
    first, second = isolated(JunctionSettings), isolated(JunctionSettings)
    assert first.topic_prefix != second.topic_prefix
    for name in (first.topic_prefix + "crm.commands", first.db_prefix + "crm"):
        assert not is_stale_test_name(name)
        assert is_stale_test_name(name, now=time.time() + STALE_AFTER_S + 120)


def test_only_test_names_are_ever_stale() -> None:
    later = time.time() + 10 * STALE_AFTER_S
    assert is_stale_test_name("t0a1b2c3d4e.crm.commands")  # the older, unstamped form
    for name in ("crm.commands", "junction_crm", "tasks.events", "t12.x", "__consumer_offsets", "admin"):
        assert not is_stale_test_name(name, now=later)

"""Upcasters turn old event versions into current ones on read; stored events are never rewritten."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from junction_common.envelope import EventEnvelope

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UpcastError(Exception):
    """An event's schema version has no path to the current version."""


class UpcasterRegistry:
    """Pure `upcast_vN_vM(data) -> data` functions keyed by event type and source version."""

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], Upcaster] = {}
        self._current: dict[str, int] = {}

    def register(self, event_type: str, from_version: int, fn: Upcaster) -> None:
        self._steps[(event_type, from_version)] = fn
        self._current[event_type] = max(self._current.get(event_type, 1), from_version + 1)

    def current_version(self, event_type: str) -> int:
        return self._current.get(event_type, 1)

    def upcast(self, event: EventEnvelope) -> EventEnvelope:
        """Apply each step until the event is at its type's current schema version (a current event is
        returned as it is; only an event a step applies to has its data copied, so steps may change it)."""
        version = event.schema_version
        target = self.current_version(event.type)
        if version >= target:
            return event
        data = copy.deepcopy(event.data)
        while version < target:
            step = self._steps.get((event.type, version))
            if step is None:
                raise UpcastError(f"no upcaster for {event.type} v{version}")
            data, version = step(data), version + 1
        return event.model_copy(update={"data": data, "schema_version": version})

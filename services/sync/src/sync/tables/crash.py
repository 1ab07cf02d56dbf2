"""Crash points for tests: a process whose settings name a point (`JUNCTION_CRASH_POINT`) kills itself there with
SIGKILL, so a test proves that a crash at that very line loses nothing and doubles nothing. Unset, it does nothing."""

from __future__ import annotations

import os
import signal
from typing import Any


def crash_point(settings: Any, point: str) -> None:
    """SIGKILL this process when `settings.crash_point` names `point`."""
    if getattr(settings, "crash_point", None) == point:
        os.kill(os.getpid(), signal.SIGKILL)

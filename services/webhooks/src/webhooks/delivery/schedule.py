"""When the next attempt happens: the retry schedule with jitter, or the receiver's Retry-After."""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime


def next_delay(schedule: tuple[float, ...], attempts_made: int, jitter: float) -> float | None:
    """Seconds until the next attempt after `attempts_made` attempts, or None when the schedule is spent.

    `schedule[0]` is the first attempt (immediately by default); `schedule[n]` waits before attempt n+1.
    """
    if attempts_made >= len(schedule):
        return None
    delay = schedule[attempts_made]
    return max(0.0, delay * (1 + random.uniform(-jitter, jitter))) if jitter else delay


def retry_after_s(header: str | None, cap: float) -> float | None:
    """The wait a 429/503 asked for (seconds or an HTTP date), bounded by `cap`."""
    if not header:
        return None
    text = header.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(text).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), cap)

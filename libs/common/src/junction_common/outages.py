"""While Kafka or the database is unreachable, their connection errors become one warning per interval.

A dependency goes down at its first connection error: that error is written at once as
`dependency_unreachable`. Further connection errors are counted, not written, and every `interval_s` one
`dependency_unreachable` warning says how many were suppressed since the last one. The dependency is back
when something shows it answers (its probe, run every `tick_s` while it is down, or `reachable()` called
after a successful call) and no connection error came for `settle_s` (a restarting broker accepts
connections before its groups settle): then one `dependency_recovered` line gives the outage's length.
outage_logs.py says which log lines are such connection errors and wires the process's tracker into
stdlib logging and structlog; outage_probes.py holds the probes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

KAFKA = "kafka"
MONGODB = "mongodb"

Probe = Callable[[], bool]
Emit = Callable[[str, dict[str, Any]], None]


@dataclass
class _Outage:
    since_wall: float
    since: float
    last_failure: float
    last_report: float
    last_error: str
    suppressed: int = 0  # since the last report
    total: int = 0
    answered_at: float | None = None
    back_at: float = 0.0  # the first answer after the last connection error
    evidence: str = ""


class OutageTracker:
    """Per dependency: up, or down since a moment with a count of suppressed errors. Thread-safe."""

    def __init__(
        self,
        emit: Emit,
        interval_s: float = 10.0,
        settle_s: float = 2.0,
        tick_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._emit, self._clock, self._wall = emit, clock, wall
        self.interval_s, self.settle_s, self.tick_s = interval_s, settle_s, tick_s
        self._lock = threading.Lock()
        self._outages: dict[str, _Outage] = {}
        self._probes: dict[str, Probe] = {}
        self._ticker: threading.Thread | None = None

    def set_probe(self, dependency: str, probe: Probe) -> None:
        """How to tell `dependency` answers again (a cheap call that returns True when it does)."""
        with self._lock:
            self._probes[dependency] = probe

    def is_down(self, dependency: str) -> bool:
        with self._lock:
            return dependency in self._outages

    def failure(self, dependency: str, error: str) -> None:
        """One connection error: the first of an outage is written, the others are counted."""
        now = self._clock()
        with self._lock:
            outage = self._outages.get(dependency)
            if outage is not None:
                outage.suppressed += 1
                outage.total += 1
                outage.last_failure, outage.last_error = now, error
                return
            outage = _Outage(self._wall(), now, now, now, error)
            self._outages[dependency] = outage
        self._emit("dependency_unreachable", {"dependency": dependency, "suppressed": 0,
                                              "since": _iso(outage.since_wall), "error": error})
        self._ensure_ticker()

    def reachable(self, dependency: str, evidence: str = "call") -> None:
        """A call to `dependency` just succeeded: it counts as an answer (recovery still waits `settle_s`)."""
        with self._lock:
            outage = self._outages.get(dependency)
            if outage is not None:
                now = self._clock()
                if outage.answered_at is None or outage.answered_at < outage.last_failure:
                    outage.back_at = outage.last_failure if evidence == "quiet" else now
                outage.answered_at, outage.evidence = now, evidence

    def tick(self) -> None:
        """Probe what is down, then write the reports and recoveries that are due."""
        with self._lock:
            probes = [(dep, self._probes.get(dep), outage.last_failure) for dep, outage in self._outages.items()]
        for dependency, probe, last_failure in probes:
            if probe is not None and _safe(probe):
                self.reachable(dependency, "probe")
            elif probe is None and self._clock() - last_failure >= self.interval_s:
                # Nothing to ask: a whole interval without a connection error is taken as its return.
                self.reachable(dependency, "quiet")
        now = self._clock()
        lines: list[tuple[str, dict[str, Any]]] = []
        with self._lock:
            for dependency, outage in list(self._outages.items()):
                line = self._due_line(dependency, outage, now)
                if line is not None:
                    lines.append(line)
        for event, fields in lines:
            self._emit(event, fields)

    def _due_line(self, dependency: str, outage: _Outage, now: float) -> tuple[str, dict[str, Any]] | None:
        answered = outage.answered_at is not None and outage.answered_at >= outage.last_failure
        if answered and now - outage.last_failure >= self.settle_s:
            del self._outages[dependency]
            return "dependency_recovered", {
                "dependency": dependency, "outage_s": round(outage.back_at - outage.since, 1),
                "since": _iso(outage.since_wall), "suppressed": outage.suppressed,
                "suppressed_total": outage.total, "evidence": outage.evidence}
        if now - outage.last_report >= self.interval_s:
            fields = {"dependency": dependency, "suppressed": outage.suppressed, "since": _iso(outage.since_wall),
                      "down_s": round(now - outage.since, 1), "last_error": outage.last_error}
            outage.last_report, outage.suppressed = now, 0
            return "dependency_unreachable", fields
        return None

    def _ensure_ticker(self) -> None:
        with self._lock:
            if self._ticker is not None and self._ticker.is_alive():
                return
            self._ticker = threading.Thread(target=self._run_ticker, name="junction-outages", daemon=True)
            self._ticker.start()

    def _run_ticker(self) -> None:
        # Lives while something is down: reports must come out even when the errors stop.
        while True:
            time.sleep(self.tick_s)
            self.tick()
            with self._lock:
                if not self._outages:
                    self._ticker = None
                    return


def _safe(probe: Probe) -> bool:
    try:
        return probe()
    except Exception:  # a probe that fails says "not yet"
        return False


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

"""What one fault run measured (tries, logs, deliveries, verdict) and the matrix table."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.chaos.ledger import Verdict
from tests.chaos.writers import Write


@dataclass
class TryStats:
    """Every try of every write, by what came back."""

    tries: int
    late: int  # 202: accepted, still being applied
    slowest_accept_s: float  # the slowest 2xx answer
    unavailable: int  # 503s
    unavailable_max_s: float  # the slowest 503 answer
    unavailable_without_retry_after: int
    timeouts: int  # the client's own 30 s timeout
    dropped: dict[str, int]  # tries with no answer other than timeouts, by the client's error
    conflicts: int  # 409: the same key still in flight
    limited: int  # 429
    server_errors: int  # any other 5xx
    gave_up: int  # writes never answered 2xx within the client's patience

    @classmethod
    def of(cls, writes: list[Write]) -> TryStats:
        tries = [a for w in writes for a in w.attempts]
        unavailable = [a for a in tries if a.status == 503]
        accepts = [a for a in tries if a.status is not None and 200 <= a.status < 300]
        return cls(
            tries=len(tries),
            late=sum(1 for a in accepts if a.status == 202),
            slowest_accept_s=round(max((a.elapsed_s for a in accepts), default=0.0), 2),
            unavailable=len(unavailable),
            unavailable_max_s=round(max((a.elapsed_s for a in unavailable), default=0.0), 2),
            unavailable_without_retry_after=sum(1 for a in unavailable if not a.retry_after),
            timeouts=sum(1 for a in tries if a.status is None and "Timeout" in a.error),
            dropped=dict(Counter(a.error for a in tries if a.status is None and "Timeout" not in a.error)),
            conflicts=sum(1 for a in tries if a.status == 409),
            limited=sum(1 for a in tries if a.status == 429),
            server_errors=sum(1 for a in tries if a.status is not None and a.status >= 500 and a.status != 503),
            gave_up=sum(1 for w in writes if not w.accepted and not w.rejected),
        )


@dataclass
class LogCounts:
    """Per service log, from the fault on: ERROR lines, WARNING lines, the outage lines."""

    errors: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    unreachable: dict[str, int] = field(default_factory=dict)
    recovered: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def scan(cls, logs: dict[str, Path], offsets: dict[str, int]) -> LogCounts:
        """Count the lines each log got after its offset."""
        counts = cls()
        for name, path in logs.items():
            with path.open("rb") as fh:
                fh.seek(offsets.get(name, 0))
                lines = fh.read().decode(errors="replace").splitlines()
            levels = [level_of(line) for line in lines]
            counts.errors[name] = sum(1 for level in levels if level in ("error", "critical", "exception"))
            counts.warnings[name] = sum(1 for level in levels if level == "warning")
            counts.unreachable[name] = sum(1 for line in lines if '"dependency_unreachable"' in line)
            counts.recovered[name] = [_recovered(line) for line in lines if '"dependency_recovered"' in line]
        return counts


def level_of(line: str) -> str:
    """The level of one log line: a JSON line's `level`, or the first word of a stdlib line."""
    if line.startswith("{"):
        try:
            return str(json.loads(line).get("level", "")).lower()
        except ValueError:
            return ""
    first = line.split(" ", 1)[0]
    return first.lower() if first in ("ERROR", "WARNING", "CRITICAL", "INFO", "DEBUG") else ""


def _recovered(line: str) -> str:
    data: dict[str, Any] = json.loads(line)
    return f"{data.get('dependency')} after {data.get('outage_s')} s"


@dataclass
class Deliveries:
    """Webhook deliveries to the healthy endpoint: one per created contact is expected."""

    expected: int
    delivered: int
    resent: int  # the same webhook-id received again (at-least-once; the receiver can tell)
    hung: int | None = None  # connections the hanging endpoint held (none would mean it was never tried)

    @property
    def missing(self) -> int:
        return self.expected - self.delivered


@dataclass
class FaultResult:
    fault: str
    verdict: Verdict
    stats: TryStats
    logs: LogCounts
    outage_s: float | None  # from the kill until the component served again
    recover_s: float | None  # from then until a write sent afterwards was answered 2xx
    settled_s: float  # after the stream ended, until every accepted write was listed
    deliveries: Deliveries | None = None

    @property
    def ok(self) -> bool:
        d = self.deliveries
        return self.verdict.ok and (d is None or (d.missing == 0 and d.hung != 0))


HEADER = ("fault", "writes", "accepted", "lost", "doubled", "outage s", "recover s", "503s (max s)",
          "202s", "slowest 2xx s", "timeouts", "gave up", "ERROR lines", "deliveries")


def table(results: list[FaultResult]) -> str:
    """The matrix as a Markdown table (it reads as plain text too)."""
    rows = [HEADER, *(_row(r) for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _row(r: FaultResult) -> tuple[str, ...]:
    v, s = r.verdict, r.stats
    d = r.deliveries
    deliveries = "-" if d is None else f"{d.delivered}/{d.expected} (resent {d.resent})" + (
        f", {d.hung} hung" if d.hung is not None else "")
    return (r.fault, str(v.writes), str(v.accepted), str(len(v.lost)), str(len(v.doubled)),
            _seconds(r.outage_s), _seconds(r.recover_s), f"{s.unavailable} ({s.unavailable_max_s})",
            str(s.late), f"{s.slowest_accept_s:.1f}", str(s.timeouts), str(s.gave_up),
            str(sum(r.logs.errors.values())), deliveries)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"

"""Kafka SIGKILLed for 15 s under the crm's consumers and relay: a few lines in its log, not thousands.

Without collapsing, a 30 s outage wrote ~17,000 ERROR lines to crm.log (issue 10). Now: one warning when
Kafka goes away, one per interval with the count of suppressed lines, one when it is back.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.chaos.results import level_of
from tests.chaos.stack import chaos_stack, wait_for

# `make chaos` runs it; `make test` keeps the short Kafka fault (tests/chaos/test_kafka_outage_short.py), which also
# bounds the ERROR lines an outage writes and checks the recovered line.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(240)]

INTERVAL_S = 5.0
DOWN_S = 15.0


def _lines_after(path: Path, offset: int) -> list[str]:
    with path.open("rb") as fh:
        fh.seek(offset)
        return fh.read().decode(errors="replace").splitlines()


def _events(lines: list[str], event: str) -> list[dict[str, Any]]:
    found = []
    for line in lines:
        if line.startswith("{") and f'"{event}"' in line:
            data = json.loads(line)
            if data.get("event") == event and data.get("dependency") == "kafka":
                found.append(data)
    return found


async def test_a_kafka_outage_is_a_few_warnings_and_one_recovered_line(tmp_path: Path) -> None:
    env = {"JUNCTION_LOG_OUTAGE_INTERVAL_S": str(INTERVAL_S)}
    with chaos_stack(tmp_path, services=("crm",), env=env) as stack:
        log = stack.services["crm"].log
        await asyncio.sleep(5.0)  # the consumers have joined their groups and poll (fresh topics have leaders)
        offset = log.stat().st_size
        killed = time.monotonic()
        await asyncio.to_thread(stack.infra.kill_kafka)
        await asyncio.sleep(DOWN_S)
        await asyncio.to_thread(stack.infra.start_kafka)

        async def recovered_line() -> list[dict[str, Any]]:
            return _events(_lines_after(log, offset), "dependency_recovered")

        await wait_for(recovered_line, timeout=30)
        away_s = time.monotonic() - killed
        lines = _lines_after(log, offset)
    errors = [line for line in lines if level_of(line) in ("error", "critical", "exception")]
    unreachable = _events(lines, "dependency_unreachable")
    recovered = _events(lines, "dependency_recovered")
    print(f"{len(lines)} lines in {away_s:.0f} s; {len(errors)} ERROR; {len(unreachable)} unreachable; {recovered}")
    assert len(errors) <= 3, errors
    assert len(recovered) == 1, lines[-20:]
    assert DOWN_S <= recovered[0]["outage_s"] <= away_s
    # The first line says what happened; then one report per interval, each with its count.
    assert unreachable[0]["suppressed"] == 0 and "error" in unreachable[0]
    reports = unreachable[1:]
    assert len(reports) >= DOWN_S // INTERVAL_S - 1
    assert len(reports) <= away_s // INTERVAL_S + 1
    suppressed = sum(r["suppressed"] for r in reports) + recovered[0]["suppressed"]
    assert suppressed == recovered[0]["suppressed_total"]
    assert suppressed >= 100  # there was a flood to collapse
    assert len(lines) <= 30

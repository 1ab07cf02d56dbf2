"""`python -m tests.chaos.matrix [--only "kafka SIGKILL 10s,crm"]`: run the fault matrix, print its table.

Runs every fault of tests/chaos/faults.py (or those whose names contain one of the phrases) on one
private Kafka and nx-27017, prints one table, writes it with the details as JSON under the run's home, and
exits 1 unless every fault lost nothing, doubled nothing and delivered every webhook.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

from junction_common.infra.paths import paths_for
from junction_common.infra.private import PrivateInfra
from junction_common.settings import JunctionSettings
from tests.chaos.faults import MATRIX, Fault, run_fault
from tests.chaos.results import FaultResult, table


def chosen(only: str) -> list[Fault]:
    phrases = [p.strip().lower() for p in only.split(",") if p.strip()]
    if not phrases:
        return list(MATRIX)
    return [f for f in MATRIX if any(p in f.name.lower() for p in phrases)]


async def run_matrix(faults: list[Fault], home: Path, failed: list[str]) -> list[FaultResult]:
    infra = PrivateInfra.create(home / "infra", paths_for(JunctionSettings()))
    await asyncio.to_thread(infra.start_kafka)
    await asyncio.to_thread(infra.start_mongo)
    results = []
    try:
        for fault in faults:
            started = time.monotonic()
            print(f"[chaos] {fault.name} ...", file=sys.stderr, flush=True)
            try:
                result = await run_fault(fault, home, infra)
            except Exception:  # one broken run must not hide the others' rows
                traceback.print_exc()
                print(f"[chaos] {fault.name}: the run itself failed", file=sys.stderr, flush=True)
                failed.append(fault.name)
                continue
            results.append(result)
            (home / "results.json").write_text(json.dumps([dataclasses.asdict(r) for r in results], indent=2))
            print(f"[chaos] {fault.name}: {'ok' if result.ok else 'FAILED'} ({time.monotonic() - started:.0f} s)",
                  file=sys.stderr, flush=True)
    finally:
        await asyncio.to_thread(infra.stop)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated phrases: run the faults whose names hold one")
    parser.add_argument("--home", type=Path, default=None, help="where servers, logs and results go")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="junction-chaos-"))
    failed: list[str] = []
    results = asyncio.run(run_matrix(chosen(args.only), home, failed))
    print(table(results))
    for name in failed:
        print(f"{name}: the run itself failed (see the traceback above)")
    print(f"details: {home / 'results.json'}; logs under {home}", file=sys.stderr)
    return 0 if results and not failed and all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""How long `tix demo` takes to fill an empty SQLite database.

    python bench/demo.py [--tickets 5000] [--runs 3]

Runs ``python -m tix demo --tickets N --quiet --json`` in a fresh process on a new
database in a temporary folder, RUNS times, and prints each wall time and CPU time (the
steadier figure on a shared machine), their medians, the tickets and activities made,
and the budget (15 s wall for 5,000 tickets), judged on the wall time and, since a busy
machine stretches that, on the CPU time as well.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 15.0
"""For 5,000 tickets; scaled linearly for other counts."""


def run_once(tickets: int) -> tuple[float, float, dict[str, object]]:
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "TIX_DATABASE_URL": f"sqlite:///{Path(folder) / 'demo.db'}",
            "TIX_USER": "bench",
            "PYTHONPATH": str(ROOT),
        }
        start = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [sys.executable, "-m", "tix", "demo", "--tickets", str(tickets), "--quiet", "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        return wall, cpu, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    times = []
    cpus = []
    summary: dict[str, object] = {}
    for run in range(1, options.runs + 1):
        seconds, cpu, summary = run_once(options.tickets)
        times.append(seconds)
        cpus.append(cpu)
        print(f"run {run}: {seconds:.1f} s wall, {cpu:.1f} s CPU", flush=True)
    median = statistics.median(times)
    cpu = statistics.median(cpus)
    budget = BUDGET_SECONDS * options.tickets / 5000
    verdict = "ok" if median <= budget else "over"
    cpu_verdict = "ok" if cpu <= budget else "over"
    print(
        f"tix demo --tickets {options.tickets}: median {median:.1f} s wall "
        f"({cpu:.1f} s CPU) of {options.runs} runs "
        f"({summary['tickets']} tickets, {summary['activities']} activities); "
        f"budget {budget:.1f} s: {verdict} (wall), {cpu_verdict} (CPU)"
    )


if __name__ == "__main__":
    main()

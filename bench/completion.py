"""Shell completion against the 100,000-ticket database, next to its floor.

    python bench/completion.py [--runs 21] [--tickets 100000] [--activities 1000000]

Uses (or builds) bench/scale.py's SQLite database and times whole `tix` processes
as bash runs them on Tab, runs interleaved, median wall time in ms, next to the
floor `python -c "import typer"`. The budget is 150 ms for each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

BUDGET_MS = 150.0
#: What is typed before Tab, and what the completion must offer among its values.
CASES: list[tuple[str, str]] = [
    ("tix ti", "ticket"),
    ("tix ticket list --owner ", "agent"),
    ("tix ticket list --channel ", "Support"),
    ("tix ticket list --status ", "waiting"),
    ("tix time list --ticket 1001", ""),
    ("tix ticket show ", ""),
    ("tix ticket show 5", ""),
    ("tix ticket show 50123", "50123"),
]


def database(tickets: int, activities: int) -> Path:
    """bench/scale.py's database, built first when it is missing or outdated."""
    import scale  # the bench folder's own module

    path = scale.OUT / f"scale-{tickets}-{activities}.db"
    if not path.exists() or not scale._current(path):
        subprocess.run(
            [
                sys.executable,
                str(HERE / "scale.py"),
                "--tickets",
                str(tickets),
                "--activities",
                str(activities),
            ],
            check=True,
        )
    return path


def complete(typed: str, env: dict[str, str]) -> tuple[float, list[str]]:
    words = typed.split()
    current = len(words) if typed.endswith(" ") else len(words) - 1
    run_env = dict(env, _TIX_COMPLETE="complete_bash", COMP_WORDS=typed, COMP_CWORD=str(current))
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tix"], env=run_env, capture_output=True, text=True, check=True
    )
    return time.perf_counter() - start, done.stdout.split()


def floor(env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import typer"], env=env, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    args = parser.parse_args()

    import compileall

    compileall.compile_dir(str(HERE.parent / "tix"), quiet=1)
    path = database(args.tickets, args.activities)
    env = dict(os.environ, TIX_DATABASE_URL=f"sqlite:///{path}", TIX_USER="agent")
    times: dict[str, list[float]] = {typed: [] for typed, _ in CASES}
    floors: list[float] = []
    offered: dict[str, list[str]] = {}
    for _ in range(args.runs):
        floors.append(floor(env))
        for typed, _expected in CASES:
            seconds, values = complete(typed, env)
            times[typed].append(seconds)
            offered[typed] = values
    base = statistics.median(floors) * 1000
    print("| typed, then Tab | offers | ms | floor | ratio | budget |")
    print("|---|---|---:|---:|---:|---:|")
    print(f"| `python -c 'import typer'` | | {base:.1f} | | | |")
    for typed, expected in CASES:
        values = offered[typed]
        assert values, typed
        assert not expected or expected in values, (typed, values[:5])
        ms = statistics.median(times[typed]) * 1000
        shown = " ".join(values[:3]) + (" …" if len(values) > 3 else "")
        verdict = "ok" if ms <= BUDGET_MS else "**over**"
        print(
            f"| `{typed.rstrip()}` | {len(values)}: {shown} | {ms:.1f} | {base:.1f} | "
            f"{ms / base:.2f} | {BUDGET_MS:.0f} {verdict} |"
        )


if __name__ == "__main__":
    main()

"""Start-up time of the CLI next to the bare import time of the libraries it needs.

    python bench/cli_start.py [--runs 21]

Prints the median wall time of each command over RUNS runs (runs interleaved, so
that machine noise hits every command alike) and its ratio to its floor:

- ``tix --version`` and ``tix --help`` against ``python -c "import typer"``
- ``tix ticket list --json`` on an empty database, and ``tix ticket list --json`` and
  ``tix ticket show N --json`` on one holding a ticket with a note and a booked time,
  against ``python -c "import typer, sqlmodel"``

On a busy machine the medians spread; the fastest run of each command (``min``) is
printed too, as its ratio to the fastest floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def tix_command() -> list[str]:
    """The installed ``tix`` script next to this interpreter (not a shim), else ``-m tix``."""
    script = Path(sys.executable).parent / "tix"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tix"]


def wall(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    return time.perf_counter() - start


def database(folder: Path, name: str, tix: list[str], *, with_ticket: bool) -> dict[str, str]:
    """The environment of a new database ``name`` in ``folder`` (one ticket if asked)."""
    env = dict(
        os.environ,
        TIX_DATABASE_URL=f"sqlite:///{folder / name}",
        TIX_USER="bench",
        TIX_DATA_DIR=str(folder),
    )
    steps = [["init", "--admin", "bench", "--name", "Bench", "--email", "bench@example.com"]]
    if with_ticket:
        steps += [
            ["ticket", "new", "--kind", "internal", "--subject", "Printer", "--owner", "bench"],
            ["ticket", "note", "1001", "--body", "Toner ordered."],
            ["time", "book", "1001", "30m"],
        ]
    for step in steps:
        subprocess.run([*tix, *step], env=env, check=True, capture_output=True)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs

    # pip compiles an installed package's bytecode; an editable checkout run with
    # PYTHONDONTWRITEBYTECODE=1 would otherwise compile tix's sources on every start.
    import compileall

    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "tix"), quiet=1)
    folder = Path(tempfile.mkdtemp(prefix="tix-bench-"))
    tix = tix_command()
    empty = database(folder, "empty.db", tix, with_ticket=False)
    one = database(folder, "one.db", tix, with_ticket=True)

    cases = {
        "python -c 'import typer'": ([sys.executable, "-c", "import typer"], empty),
        "python -c 'import typer, sqlmodel'": (
            [sys.executable, "-c", "import typer, sqlmodel"],
            empty,
        ),
        "tix --version": ([*tix, "--version"], empty),
        "tix --help": ([*tix, "--help"], empty),
        "tix ticket list --json (empty db)": ([*tix, "ticket", "list", "--json"], empty),
        "tix ticket list --json (one ticket)": ([*tix, "ticket", "list", "--json"], one),
        "tix ticket show 1001 --json": ([*tix, "ticket", "show", "1001", "--json"], one),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for command, env in cases.values():  # warm the file cache once
        wall(command, env)
    for _ in range(runs):
        for name, (command, env) in cases.items():
            times[name].append(wall(command, env))
    median = {name: statistics.median(values) * 1000 for name, values in times.items()}
    fastest = {name: min(values) * 1000 for name, values in times.items()}

    floor_typer = median["python -c 'import typer'"]
    floor_db = median["python -c 'import typer, sqlmodel'"]
    floors = {
        "tix --version": "python -c 'import typer'",
        "tix --help": "python -c 'import typer'",
    }
    budgets = {
        "tix --version": 1.3,
        "tix --help": 1.3,
        "tix ticket list --json (empty db)": 1.15,
        "tix ticket list --json (one ticket)": 1.15,
        "tix ticket show 1001 --json": 1.15,
    }
    print(f"CLI start-up, median of {runs} runs ({sys.executable})")
    print(
        f"{'command':40} {'ms':>8} {'floor ms':>9} {'ratio':>6} {'budget':>7}"
        f"      {'min ms':>8} {'ratio':>6}"
    )
    for name, value in median.items():
        if name in budgets:
            floor_name = floors.get(name, "python -c 'import typer, sqlmodel'")
            floor = floor_db if floor_name.endswith("sqlmodel'") else floor_typer
            ratio, budget = value / floor, budgets[name]
            verdict = "ok" if ratio <= budget else "OVER"
            fast_ratio = fastest[name] / fastest[floor_name]
            print(
                f"{name:40} {value:8.1f} {floor:9.1f} {ratio:6.2f} {budget:6.2f}x {verdict:4}"
                f" {fastest[name]:8.1f} {fast_ratio:6.2f}"
            )
        else:
            print(f"{name:40} {value:8.1f}   (floor){'':24} {fastest[name]:8.1f}")


if __name__ == "__main__":
    main()

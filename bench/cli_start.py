"""Start-up time of the CLI next to the bare import time of the libraries it needs.

    python bench/cli_start.py [--runs 21]

Prints the median wall time of each command over RUNS runs (runs interleaved, so
that machine noise hits every command alike) and its ratio to its floor:

- ``tix --version`` and ``tix --help`` against ``python -c "import typer"``
- ``tix ticket list --json`` on an empty database against
  ``python -c "import typer, sqlmodel"``
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs

    # pip compiles an installed package's bytecode; an editable checkout run with
    # PYTHONDONTWRITEBYTECODE=1 would otherwise compile tix's sources on every start.
    import compileall

    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "tix"), quiet=1)
    folder = Path(tempfile.mkdtemp(prefix="tix-bench-"))
    env = dict(
        os.environ,
        TIX_DATABASE_URL=f"sqlite:///{folder / 'bench.db'}",
        TIX_USER="bench",
        TIX_DATA_DIR=str(folder),
    )
    tix = tix_command()
    subprocess.run(
        [*tix, "init", "--admin", "bench", "--name", "Bench", "--email", "bench@example.com"],
        env=env,
        check=True,
        capture_output=True,
    )

    cases = {
        "python -c 'import typer'": [sys.executable, "-c", "import typer"],
        "python -c 'import typer, sqlmodel'": [sys.executable, "-c", "import typer, sqlmodel"],
        "tix --version": [*tix, "--version"],
        "tix --help": [*tix, "--help"],
        "tix ticket list --json (empty db)": [*tix, "ticket", "list", "--json"],
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for command in cases.values():  # warm the file cache once
        wall(command, env)
    for _ in range(runs):
        for name, command in cases.items():
            times[name].append(wall(command, env))
    median = {name: statistics.median(values) * 1000 for name, values in times.items()}

    floor_typer = median["python -c 'import typer'"]
    floor_db = median["python -c 'import typer, sqlmodel'"]
    budgets = {
        "tix --version": (floor_typer, 1.3),
        "tix --help": (floor_typer, 1.3),
        "tix ticket list --json (empty db)": (floor_db, 1.15),
    }
    print(f"CLI start-up, median of {runs} runs ({sys.executable})")
    print(f"{'command':40} {'ms':>8} {'floor ms':>9} {'ratio':>6} {'budget':>7}")
    for name, value in median.items():
        if name in budgets:
            floor, budget = budgets[name]
            verdict = "ok" if value / floor <= budget else "OVER"
            print(
                f"{name:40} {value:8.1f} {floor:9.1f} {value / floor:6.2f} {budget:6.2f}x {verdict}"
            )
        else:
            print(f"{name:40} {value:8.1f}   (floor)")


if __name__ == "__main__":
    main()

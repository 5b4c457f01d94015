"""The time report's Excel export next to openpyxl writing the same values bare.

    python bench/export.py [--rows 100000] [--runs 3]

Makes ROWS realistic time entries (generated, the same every run), then times, in
this process and interleaved so that machine noise hits both alike:

- ``write_times_workbook`` to a temporary file: styled header, typed and formatted
  cells, totals, the summary sheet;
- the floor: an openpyxl write-only workbook with one sheet, ``ws.append`` of the
  same rows' cell values, no styles, no summary, saved to a temporary file.

Prints the median of RUNS runs of each, their ratio and the budget (1.3x).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tix.core.reports import TimeRow, write_times_workbook

BUDGET = 1.3
# fmt: off
WORDS = [
    "pump", "maintenance", "invoice", "sensor", "printer", "network", "login", "mail",
    "server", "backup", "update", "motor", "bearing", "noise", "leak", "oil", "pressure",
    "valve", "calibration", "training", "phone", "call", "visit", "offer", "delivery",
    "spare", "part", "replaced", "checked", "configured", "installed", "firmware", "license",
]
FIRST = ["Anna", "Bernd", "Clara", "Dieter", "Eva", "Frank", "Greta", "Hans", "Ines", "Jonas",
         "Karin", "Lukas", "Mia", "Nils"]
LAST = ["Bauer", "Fischer", "Hoffmann", "Klein", "Koch", "Meyer", "Richter", "Schäfer",
        "Schulz", "Wagner", "Weber"]
# fmt: on


def make_rows(count: int, seed: int = 1042) -> list[TimeRow]:
    """``count`` time entries over a year: 40 users, 3,000 tickets, 300 customers."""
    rng = random.Random(seed)

    def phrase(low: int, high: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).capitalize()

    users = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(40)]
    customers = [
        f"{rng.choice(LAST)} {rng.choice(['GmbH', 'AG', 'KG', 'e.K.'])}" for _ in range(300)
    ]
    projects = [f"Project {phrase(1, 2)}" for _ in range(30)]
    tickets = []
    for number in range(1000, 4000):
        internal = rng.random() < 0.2
        tickets.append(
            (
                number,
                phrase(3, 8),
                None if internal else rng.choice(customers),
                rng.choice(projects) if rng.random() < 0.3 else None,
            )
        )
    start = date(2026, 1, 1)
    rows = []
    for index in range(count):
        number, subject, customer, project = rng.choice(tickets)
        billable = customer is not None and rng.random() < 0.85
        rows.append(
            TimeRow(
                work_date=start + timedelta(days=index * 365 // max(count, 1)),
                ticket_number=number,
                subject=subject,
                customer=customer,
                project=project,
                user=rng.choice(users),
                minutes=rng.choice((15, 30, 45, 60, 90, 120, 180, 240, 480)),
                billable=billable,
                billed=f"RE-2026-{rng.randint(1, 400):04d}"
                if billable and rng.random() < 0.4
                else None,
                note=phrase(2, 12) if rng.random() < 0.6 else "",
            )
        )
    return rows


def floor(rows: list[TimeRow], target: Path) -> None:
    """openpyxl write-only, the same cell values, nothing else."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Times")
    sheet.append(
        ["Date", "Ticket", "Subject", "Customer", "Project", "Hours", "User", "Billable",
         "Invoice", "Note"]
    )  # fmt: skip
    for row in rows:
        sheet.append(
            [
                row.work_date,
                row.ticket_number,
                row.subject,
                row.customer,
                row.project,
                row.minutes / 60,
                row.user,
                "yes" if row.billable else "no",
                row.billed,
                row.note or None,
            ]
        )
    workbook.save(target)


def report(rows: list[TimeRow], target: Path) -> None:
    write_times_workbook(target, iter(rows), title="Times 01.01.2026 – 31.12.2026")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()

    import openpyxl  # imported once, outside the timings

    rows = make_rows(arguments.rows)
    folder = Path(tempfile.mkdtemp(prefix="tix-bench-export-"))
    timings: dict[str, list[float]] = {"floor": [], "report": []}
    sizes: dict[str, int] = {}
    for _run in range(arguments.runs):
        for name, writer in (("floor", floor), ("report", report)):
            target = folder / f"{name}.xlsx"
            start = time.perf_counter()
            writer(rows, target)
            timings[name].append(time.perf_counter() - start)
            sizes[name] = target.stat().st_size
            target.unlink()
    folder.rmdir()

    floor_s = statistics.median(timings["floor"])
    report_s = statistics.median(timings["report"])
    ratio = report_s / floor_s
    print(
        f"rows: {arguments.rows:,}   openpyxl {openpyxl.__version__}   median of {arguments.runs}"
    )
    print(f"floor  (write-only, values only)  {floor_s:7.2f} s   {sizes['floor'] / 1e6:6.1f} MB")
    print(f"report (write_times_workbook)     {report_s:7.2f} s   {sizes['report'] / 1e6:6.1f} MB")
    verdict = "ok" if ratio <= BUDGET else "OVER"
    print(f"ratio {ratio:.2f}x   budget {BUDGET:.1f}x   {verdict}")


if __name__ == "__main__":
    main()

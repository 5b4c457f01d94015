"""Bulk change of 1,000 tickets on the benchmark database (100,000 tickets).

    python bench/bulk.py [--runs 3] [--count 1000] [--tickets 100000] [--activities 1000000]

Uses the database bench/scale.py builds (bench/out/scale-T-A.db, rebuilt here when it is
missing or was made by an older schema) and changes a fresh copy of it each run, acting
as ``agent``, on the 1,000 tickets changed last (all open):

1. the core service alone (``bulk_actions.change_tickets``, in this process): the status
   (one change and its activity per ticket) and the owner (also a watcher, and the new
   owner is notified);
2. the CLI as a script runs it, a whole process:
   ``tix ticket set - --status waiting --json`` with the numbers on standard input;
3. the TUI, headless: the 1,000 tickets marked, then ``b``, status, waiting; timed from
   the confirmation (``y``) to the summary on screen.

Each figure is the median of RUNS runs: wall time and CPU time (of this process, or of
the CLI's process), next to two floors, the same rows written as bare SQL in one
transaction: one ``UPDATE`` of the 1,000 tickets' status, and that ``UPDATE`` ticket by
ticket with an activity ``INSERT`` each. The budget is 5 s for the CLI and the TUI.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale  # bench/scale.py: the database and how it is built
from sqlalchemy import inspect, text

from tix.core.db import make_engine, session_scope
from tix.core.migrate import upgrade

LOGIN = "agent"
BUDGET = 5.0
COPY = scale.OUT / "bulk-copy.db"


def database(tickets: int, activities: int) -> Path:
    """The benchmark database, (re)built when missing, older or short of a column."""
    path = scale.OUT / f"scale-{tickets}-{activities}.db"
    if not path.exists() or not scale._current(path) or not _complete(path):
        scale.OUT.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        print(f"building {path.name} (about half a minute) …", file=sys.stderr)
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        scale.build(engine, tickets, activities)
        engine.dispose()
    return path


def _complete(path: Path) -> bool:
    """Whether every table and column of the models is there (a schema slot filled after
    the database was built leaves its revision number as it was)."""
    from sqlmodel import SQLModel

    from tix.core.models import load_all

    load_all()  # every table

    engine = make_engine(f"sqlite:///{path}")
    try:
        found = inspect(engine)
        tables = set(found.get_table_names())
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in tables:
                return False
            have = {column["name"] for column in found.get_columns(table.name)}
            if not {column.name for column in table.columns} <= have:
                return False
        return True
    finally:
        engine.dispose()


def fresh_copy(path: Path) -> str:
    """A private copy of the benchmark database (each run changes its copy)."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(COPY) + suffix).unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(COPY)
    source.backup(target)
    target.execute("PRAGMA journal_mode=WAL")
    target.close()
    source.close()
    return f"sqlite:///{COPY}"


def chosen_numbers(url: str, count: int) -> list[tuple[int, int]]:
    """(id, number) of the ``count`` tickets changed last that are not closed."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            return [
                (int(row[0]), int(row[1]))
                for row in session.execute(
                    text(
                        "SELECT id, number FROM tickets WHERE status NOT IN ('closed', 'waiting') "
                        "ORDER BY updated_at DESC, id DESC LIMIT :count"
                    ),
                    {"count": count},
                )
            ]
    finally:
        engine.dispose()


def measured(action: Callable[[], Any]) -> tuple[float, float]:
    """Wall and CPU seconds of ``action`` (this process, all its threads)."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


# --- the floors ---------------------------------------------------------------------


def floor_one_update(url: str, chosen: list[tuple[int, int]]) -> tuple[float, float]:
    connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    ids = [ticket_id for ticket_id, _number in chosen]

    def run() -> None:
        connection.execute("BEGIN IMMEDIATE")
        marks = ",".join("?" * len(ids))
        connection.execute(
            f"UPDATE tickets SET status = 'waiting', version = version + 1 WHERE id IN ({marks})",
            ids,
        )
        connection.execute("COMMIT")

    try:
        return measured(run)
    finally:
        connection.close()


def floor_row_by_row(url: str, chosen: list[tuple[int, int]]) -> tuple[float, float]:
    connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    agent = connection.execute("SELECT id FROM users WHERE login = ?", (LOGIN,)).fetchone()[0]

    def run() -> None:
        connection.execute("BEGIN IMMEDIATE")
        for ticket_id, _number in chosen:
            seq = connection.execute(
                "UPDATE tickets SET status = 'waiting', version = version + 1, "
                "activity_seq = activity_seq + 1, updated_at = CURRENT_TIMESTAMP "
                "WHERE id = ? RETURNING activity_seq",
                (ticket_id,),
            ).fetchone()[0]
            connection.execute(
                "INSERT INTO activities (ticket_id, seq, kind, author_user_id, created_at, "
                "body, field, old_value, new_value) VALUES (?, ?, 'change', ?, "
                "CURRENT_TIMESTAMP, '', 'status', 'open', 'waiting')",
                (ticket_id, seq, agent),
            )
        connection.execute("COMMIT")

    try:
        return measured(run)
    finally:
        connection.close()


# --- tix ----------------------------------------------------------------------------


def core(url: str, chosen: list[tuple[int, int]], **changes: Any) -> tuple[float, float]:
    from tix.core.services.bulk_actions import change_tickets, targets
    from tix.core.services.changes import TicketChanges

    engine = make_engine(url)
    results: list[Any] = []
    try:
        wall, cpu = measured(
            lambda: results.extend(
                change_tickets(
                    engine, LOGIN, targets(n for _i, n in chosen), TicketChanges(**changes)
                )
            )
        )
    finally:
        engine.dispose()
    assert len(results) == len(chosen) and all(r.ok for r in results), "not all changed"
    return wall, cpu


def cli(url: str, chosen: list[tuple[int, int]]) -> tuple[float, float]:
    numbers = "\n".join(str(number) for _id, number in chosen) + "\n"
    env = dict(os.environ, TIX_DATABASE_URL=url, TIX_USER=LOGIN, TIX_LANG="en")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tix", "ticket", "set", "-", "--status", "waiting", "--json"],
        input=numbers,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"tix ticket set failed ({done.returncode}): {done.stderr[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def tui(url: str, chosen: list[tuple[int, int]]) -> tuple[float, float]:
    return asyncio.run(_tui(url, chosen))


async def _tui(url: str, chosen: list[tuple[int, int]]) -> tuple[float, float]:
    from sqlalchemy import select
    from sqlmodel import col
    from textual.widgets import OptionList

    from tix.core.config import Settings
    from tix.core.models import Ticket
    from tix.core.services.bulk_actions import Target
    from tix.tui.app import make_app
    from tix.tui.backend import Backend
    from tix.tui.dialogs import ConfirmDialog, PickDialog
    from tix.tui.dialogs.bulk import BulkSummaryDialog
    from tix.tui.screens.ticket_list import TicketListScreen

    backend = Backend.open(Settings(database_url=url, timezone="Europe/Berlin"), LOGIN)
    engine = make_engine(url)
    with session_scope(engine) as session:
        versions = {
            int(row[0]): int(row[1])
            for row in session.execute(
                select(col(Ticket.id), col(Ticket.version)).where(
                    col(Ticket.id).in_([ticket_id for ticket_id, _n in chosen])
                )
            )
        }
    engine.dispose()
    app = make_app(backend=backend, poll_interval=0)

    async def until(condition: Callable[[], bool], timeout: float = 120) -> None:
        deadline = time.perf_counter() + timeout
        while not condition():
            if time.perf_counter() > deadline:
                raise TimeoutError("the UI did not get there")
            await asyncio.sleep(0.001)

    def on_list() -> TicketListScreen:
        screen = app.screen
        assert isinstance(screen, TicketListScreen)
        return screen

    async with app.run_test(size=(120, 40)) as pilot:
        await until(lambda: isinstance(app.screen, TicketListScreen) and on_list()._started)
        on_list().table.add_marks(
            (ticket_id, Target(number, versions[ticket_id])) for ticket_id, number in chosen
        )
        await pilot.press("b")
        await until(lambda: isinstance(app.screen, PickDialog))
        await pilot.press("down", "enter")  # Set status…
        await until(lambda: isinstance(app.screen, PickDialog) and "waiting" in _ids(app))
        options = app.screen.query_one(OptionList)
        options.highlighted = _ids(app).index("waiting")
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, ConfirmDialog))
        wall, cpu = time.perf_counter(), time.process_time()
        await pilot.press("y")
        await until(lambda: isinstance(app.screen, BulkSummaryDialog))
        await pilot.pause()  # and painted
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        summary = app.screen
        assert isinstance(summary, BulkSummaryDialog)
        assert all(r.ok for r in summary.results) and len(summary.results) == len(chosen)
    backend.close()
    return wall, cpu


def _ids(app: Any) -> list[str]:
    from textual.widgets import OptionList

    options = app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).id) for i in range(options.option_count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    args = parser.parse_args()

    path = database(args.tickets, args.activities)
    chosen = chosen_numbers(f"sqlite:///{path}", args.count)
    print(f"{len(chosen):,} of {args.tickets:,} tickets, median of {args.runs} runs, as {LOGIN}")

    def median_of(measure: Callable[[str, list[tuple[int, int]]], tuple[float, float]]) -> Any:
        figures = [measure(fresh_copy(path), chosen) for _ in range(args.runs)]
        return (
            statistics.median(wall for wall, _cpu in figures),
            statistics.median(cpu for _wall, cpu in figures),
        )

    rows = [
        ("floor: one UPDATE of their status", median_of(floor_one_update), None),
        ("floor: UPDATE + activity INSERT, ticket by ticket", median_of(floor_row_by_row), None),
        (
            "core: change_tickets(status=waiting)",
            median_of(lambda url, c: core(url, c, status="waiting")),
            None,
        ),
        (
            "core: change_tickets(owner=admin)",
            median_of(lambda url, c: core(url, c, owner="admin")),
            None,
        ),
        ("CLI: tix ticket set - --status waiting --json", median_of(cli), BUDGET),
        ("TUI: y in the confirmation → the summary shown", median_of(tui), BUDGET),
    ]
    print(f"{'what':<52} {'wall s':>7} {'CPU s':>7}  budget")
    for name, (wall, cpu), budget in rows:
        verdict = "" if budget is None else f"{budget:.0f} s " + ("ok" if wall < budget else "OVER")
        print(f"{name:<52} {wall:>7.2f} {cpu:>7.2f}  {verdict}")
    for suffix in ("", "-wal", "-shm"):
        Path(str(COPY) + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()

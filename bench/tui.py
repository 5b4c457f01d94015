"""The terminal UI at scale: 100,000 tickets with 1,000,000 activities.

    python bench/tui.py [--runs 5] [--tickets 100000] [--activities 1000000] [--url URL]

Uses the database bench/scale.py builds (bench/out/scale-T-A.db, built here first
when missing or made by an older schema; with --url the PostgreSQL database that
``bench/scale.py --url URL`` built with the same numbers) and drives the real app headless with
Textual's ``run_test``, acting as ``agent`` (who sees every ticket):

1. start: from creating the app (and its backend) to the list painted with its
   first page of 100 tickets;
2. open the ticket with 1,000 activities: from the list's open action (what Enter and
   "#51001" in the command palette call) to the first frame of the ticket view that
   shows its data; and, with no budget of its own, to every one of the 1,000
   activities laid out (a long ticket's older activities are added a frame at a time);
   when there is no ticket view yet, the list's preview of that ticket instead;
3. search: from Enter in the search box (a common word, in about half the tickets)
   to the list painted with the first page of hits.

Each is the median of RUNS runs in milliseconds, printed next to its budget and its
floor: the backend calls alone (what no UI can be faster than), and for the start
also a bare Textual app's start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale  # bench/scale.py: the database and how it is built
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input

from tix.core.config import Settings
from tix.core.db import make_engine, session_scope
from tix.core.migrate import upgrade
from tix.core.views import Cursor, TicketFilter, TicketRow
from tix.tui.app import make_app
from tix.tui.backend import Backend
from tix.tui.screens.ticket_list import PAGE, PREVIEW_DELAY, TicketListScreen

SIZE = (120, 40)
LOGIN = "agent"


def database(tickets: int, activities: int) -> str:
    path = scale.OUT / f"scale-{tickets}-{activities}.db"
    if not path.exists() or not scale._current(path):
        scale.OUT.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        print(f"building {path.name} (a few minutes) …", file=sys.stderr)
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        scale.build(engine, tickets, activities)
        engine.dispose()
    return f"sqlite:///{path}"


def open_backend(url: str) -> Backend:
    return Backend.open(Settings(database_url=url, timezone="Europe/Berlin"), LOGIN)


async def until(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the UI did not get there")
        await asyncio.sleep(0.001)
    await pilot.pause()  # and painted


def list_screen(app: App[Any]) -> TicketListScreen:
    screen = app.screen_stack[1] if len(app.screen_stack) > 1 else app.screen
    assert isinstance(screen, TicketListScreen), screen
    return screen


def ready(app: App[Any]) -> bool:
    try:
        screen = list_screen(app)
    except AssertionError:
        return False
    return screen._started and len(screen.table.rows) == PAGE


async def start(url: str) -> float:
    began = time.perf_counter()
    app = make_app(backend=open_backend(url), poll_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: ready(app))
        elapsed = time.perf_counter() - began
    return elapsed


async def bare_start() -> float:
    began = time.perf_counter()
    app: App[None] = App()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        elapsed = time.perf_counter() - began
    return elapsed


def big_row(backend: Backend, number: int) -> TicketRow:
    """The list row of ticket ``number`` (keyset: the page right after it starts with it)."""
    from sqlalchemy import select
    from sqlmodel import col

    from tix.core.models import Ticket

    with session_scope(backend.engine) as session:
        ticket = session.execute(select(Ticket).where(col(Ticket.number) == number)).scalar_one()
        cursor = Cursor(updated_at=ticket.updated_at, id=(ticket.id or 0) + 1)
    (row,) = backend.page(TicketFilter(all_statuses=True), after=cursor, limit=1)
    assert row.number == number, row
    return row


def painted_with_data(app: App[Any]) -> list[float]:
    """Times at which the ticket view drew a frame with its ticket in it."""
    from textual.screen import Screen

    frames: list[float] = []
    draw = Screen._compositor_refresh

    def drawn(screen: Screen[Any]) -> None:
        draw(screen)
        if screen is app.screen and getattr(screen, "detail", None) is not None:
            frames.append(time.perf_counter())

    Screen._compositor_refresh = drawn  # type: ignore[method-assign]
    return frames


async def open_big(url: str, number: int, *, whole: bool = False) -> float:
    """To the first frame that shows the ticket; ``whole``: to every activity laid out
    (older activities of a long ticket are added above a frame at a time)."""
    from textual.screen import Screen

    from tix.tui.widgets.activity import ActivityLog

    app = make_app(backend=open_backend(url), poll_interval=0)
    draw = Screen._compositor_refresh
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: ready(app))
            await app.workers.wait_for_complete()
            screen = list_screen(app)
            frames = painted_with_data(app)
            began = time.perf_counter()
            screen.open_ticket(number)
            if whole:
                await until(
                    pilot,
                    lambda: (
                        getattr(app.screen, "detail", None) is not None
                        and app.screen.query_one(ActivityLog).complete
                    ),
                )
                return time.perf_counter() - began
            await until(pilot, lambda: bool(frames))
            return frames[0] - began
    finally:
        Screen._compositor_refresh = draw  # type: ignore[method-assign]


async def preview_big(url: str, number: int) -> float:
    """The preview's fetch once the cursor rests on the ticket (after the debounce)."""
    app = make_app(backend=open_backend(url), poll_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: ready(app))
        await app.workers.wait_for_complete()
        screen = list_screen(app)
        row = big_row(app.backend, number)
        began = time.perf_counter()
        screen._fetch_preview(row)
        await until(pilot, lambda: (row.id, row.version) in screen._preview_cache)
        return time.perf_counter() - began


async def search(url: str, word: str) -> float:
    app = make_app(backend=open_backend(url), poll_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: ready(app))
        await app.workers.wait_for_complete()
        screen = list_screen(app)
        await pilot.press("slash", *word)
        box = screen.query_one("#search", Input)
        # what Enter in the box runs (Pilot's press adds its own waiting, ~250 ms)
        began = time.perf_counter()
        await box.action_submit()
        await until(
            pilot,
            lambda: (
                screen.filters.search == word and not screen._loading and bool(screen.table.rows)
            ),
        )
        return time.perf_counter() - began


def median_ms(runs: int, measure: Callable[[], Awaitable[float]]) -> float:
    times = [asyncio.run(measure()) for _ in range(runs)]
    return statistics.median(times) * 1000


def median_call_ms(runs: int, call: Callable[[], object]) -> float:
    call()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument(
        "--url", help="a PostgreSQL database bench/scale.py built (default: the SQLite file)"
    )
    args = parser.parse_args()
    runs = args.runs
    if args.url:
        url = args.url
        engine = make_engine(url)
        upgrade(engine)  # e.g. indexes added since it was built
        engine.dispose()
    else:
        url = database(args.tickets, args.activities)
    big = 1000 + args.tickets // 2 + 1
    word = scale.COMMON

    backend = open_backend(url)
    try:
        assert len(backend.ticket(big).activities) == scale.BIG_TICKET_ACTIVITIES
        page_floor = median_call_ms(runs, lambda: backend.page(TicketFilter(), limit=PAGE))
        ticket_floor = median_call_ms(runs, lambda: backend.ticket(big))
        choices_floor = median_call_ms(runs, backend.choices)
        search_floor = median_call_ms(
            runs, lambda: backend.page(TicketFilter(search=word), limit=PAGE)
        )
    finally:
        backend.close()
    bare = median_ms(runs, bare_start)
    has_view = importlib.util.find_spec("tix.tui.screens.ticket_view") is not None

    rows: list[tuple[str, float, float, str, int | None]] = [
        (
            "start: list painted with its first page",
            median_ms(runs, lambda: start(url)),
            page_floor + bare,
            "page + bare app",
            1000,
        )
    ]
    if has_view:
        rows.append(
            (
                "open the ticket with 1,000 activities",
                median_ms(runs, lambda: open_big(url, big)),
                ticket_floor + choices_floor,
                "ticket + choices",
                300,
            )
        )
        rows.append(
            (
                "  ... all 1,000 laid out (background)",
                median_ms(runs, lambda: open_big(url, big, whole=True)),
                ticket_floor + choices_floor,
                "ticket + choices",
                None,
            )
        )
    rows.append(
        (
            "preview of that ticket (after the rest)",
            median_ms(runs, lambda: preview_big(url, big)),
            ticket_floor,
            "ticket",
            300,
        )
    )
    rows.append(
        (
            f"search {word!r} (~half the tickets)",
            median_ms(runs, lambda: search(url, word)),
            search_floor,
            "page",
            200,
        )
    )
    backend_name = "PostgreSQL" if args.url else "SQLite"
    print(
        f"tix tui, {backend_name}, {args.tickets:,} tickets / {args.activities:,} activities, "
        f"{SIZE[0]}x{SIZE[1]} headless (median of {runs}, ms)"
    )
    print(f"{'':42} {'tui':>8} {'floor':>8} {'(floor is)':17} {'budget':>7}")
    for name, measured, floor, what, budget in rows:
        if budget is None:
            print(f"{name:42} {measured:8.1f} {floor:8.1f} {what:17} {'-':>7}")
            continue
        verdict = "ok" if measured <= budget else "OVER"
        print(f"{name:42} {measured:8.1f} {floor:8.1f} {what:17} {budget:7d} {verdict}")
    print(
        f"(the preview waits {int(1000 * PREVIEW_DELAY)} ms for the cursor to rest before it asks; "
        "not counted above)"
    )


if __name__ == "__main__":
    main()

"""The ticket list with SLAs: time left in a column, breaches in red, sorted by deadline."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.core.services.test_sla import act, at, berlin, make_policy, open_request
from tests.tui.conftest import DemoSnapshot
from tix.core.services import changes
from tix.tui.app import TixApp
from tix.tui.widgets.ticket_table import TicketTable, layout_columns

from .test_ticket_list import list_screen, numbers, pick, settle, wait_for


def test_the_sla_column_comes_only_with_slas() -> None:
    assert "sla" not in [column.key for column in layout_columns(120)]
    assert [column.key for column in layout_columns(120, sla=True)][-1] == "sla"
    # at 80 columns it stays, while the project and the categories go
    keys = [column.key for column in layout_columns(80, sla=True)]
    assert "sla" in keys and "project" not in keys


def _tickets(world: Any) -> tuple[int, int, int, int]:
    """At the fixed now (Friday 27 November 2026, 10:30 in Berlin): one overdue since
    Thursday 12:00, one due at 12:00, one waiting, one without SLA (internal)."""
    from tix.core.db import session_scope
    from tix.core.services import opening

    make_policy(world, holidays=None)
    late = open_request(world, berlin(2026, 11, 26, 8, 0))
    soon = open_request(world, berlin(2026, 11, 27, 8, 0))
    waiting = open_request(world, berlin(2026, 11, 27, 9, 0))
    act(world, berlin(2026, 11, 27, 10, 0), waiting, _waiting)
    with at(berlin(2026, 11, 26, 7, 0)), session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        internal = opening.open_internal_ticket(session, bob, owner=bob, subject="Printer")
        number = internal.number
    return late, soon, waiting, number


def _waiting(session: Any, bob: Any, ticket: Any) -> None:
    changes.change_ticket(session, bob, ticket=ticket, status="waiting")


def _cells(app: TixApp, now: datetime) -> dict[int, tuple[str, Any]]:
    table = list_screen(app).query_one(TicketTable)
    column = next(c for c in table.columns() if c.key == "sla")
    return {row.number: table._cell(row, column, now) for row in table.rows}


async def test_the_list_shows_time_left_and_breaches_in_red(
    app: TixApp, world: Any, fixed_clock: datetime
) -> None:
    late, soon, waiting, internal = _tickets(world)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: len(numbers(app)) == 4)
        table = list_screen(app).query_one(TicketTable)
        assert "sla" in [column.key for column in table.columns()]
        cells = _cells(app, fixed_clock)
        assert cells[late] == ("-7h 30m", table.part("sla-breached"))
        assert cells[soon][0] == "1h 30m" and cells[soon][1] != table.part("sla-breached")
        assert cells[waiting][0] == "⏸ 3h"
        assert cells[internal][0] == ""
        # sorted by deadline: the overdue one first, then the one due, then the rest
        await pick(pilot, "S", "sla")
        await wait_for(pilot, lambda: numbers(app)[:2] == [late, soon])
        assert sorted(numbers(app)[2:]) == sorted([waiting, internal])
        await pick(pilot, "S", "-sla")
        await wait_for(pilot, lambda: numbers(app)[-2:] == [soon, late])


async def test_without_slas_there_is_no_column(app: TixApp, world: Any) -> None:
    from .test_ticket_list import open_tickets

    open_tickets(world, 2)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: len(numbers(app)) == 2)
        table = list_screen(app).query_one(TicketTable)
        assert "sla" not in [column.key for column in table.columns()]


def _sorted_by_sla() -> Any:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        screen = list_screen(pilot.app)  # type: ignore[arg-type]
        screen.apply_filters(replace(screen.filters, sort="sla"))
        await pilot.pause(0.3)
        await settle(pilot)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_of_the_list_by_sla(
    demo_snapshot: DemoSnapshot,
    size: tuple[int, int],
    language: str,
) -> None:
    assert demo_snapshot(size, language, _sorted_by_sla())

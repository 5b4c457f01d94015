"""The dashboard: today's queue, charts of the last 30 days, the agents' load; Enter on
a figure opens the ticket list on exactly its tickets; it refreshes live."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Sparkline

from tests.core.reporting.test_queue import Tickets, _tickets
from tests.core.services.test_sla import at
from tests.tui.conftest import DemoSnapshot
from tix.core.db import session_scope
from tix.core.reporting.queue import queue_today
from tix.core.views import TicketFilter, list_tickets
from tix.tui.app import TixApp, make_app
from tix.tui.backend import Backend
from tix.tui.widgets.dashboard import AgentLoad, Figure, QueueTile, load_bar, spec_of

from .test_ticket_list import list_screen, numbers, settle, text_of, wait_for

OPEN = ("new", "open", "waiting")


def dashboard(app: TixApp) -> Any:
    from tix.tui.screens.dashboard import DashboardScreen

    screen = app.screen
    assert isinstance(screen, DashboardScreen), type(screen).__name__
    return screen


async def open_dashboard(pilot: Pilot[None]) -> Any:
    """From the list, ``d``; until the figures are shown."""
    app: TixApp = pilot.app  # type: ignore[assignment]
    await pilot.press("d")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "DashboardScreen")
    await wait_for(pilot, lambda: dashboard(app).figures is not None)
    await settle(pilot)
    return dashboard(app)


async def choose(pilot: Pilot[None], figure: Figure) -> list[int]:
    """Enter on ``figure``; the numbers the list then shows (all of them)."""
    app: TixApp = pilot.app  # type: ignore[assignment]
    figure.focus()
    await pilot.pause()
    await pilot.press("enter")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "TicketListScreen")
    await settle(pilot)
    await wait_for(pilot, lambda: not list_screen(app)._loading)
    assert not list_screen(app).table.more_coming
    return numbers(app)


def core_numbers(world: Any, login: str, query: TicketFilter) -> set[int]:
    with session_scope(world.engine) as session:
        viewer = world.user(session, login)
        return {row.number for row in list_tickets(session, viewer, query, limit=1000)}


async def test_enter_on_each_figure_lists_exactly_its_tickets(
    app: TixApp, world: Any, fixed_clock: datetime
) -> None:
    t: Tickets = _tickets(world)
    with at(fixed_clock), session_scope(world.engine) as session:
        queue = queue_today(session, world.user(session, "bob"), fixed_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_dashboard(pilot)
        for tile_id, figure, expected in (
            ("#queue-new", queue.new, {t.late, t.later, t.taken, t.internal}),
            ("#queue-unassigned", queue.unassigned, {t.late, t.soon, t.later, t.waiting}),
            ("#queue-overdue", queue.overdue, {t.late}),
            ("#queue-soon", queue.breaching_soon, {t.soon}),
        ):
            tile = screen.query_one(tile_id, QueueTile)
            assert tile.count == figure.count == len(expected), tile_id
            shown = await choose(pilot, tile)
            assert set(shown) == expected == core_numbers(world, "bob", figure.filter), tile_id
            assert len(shown) == len(expected)
            # the list says why: its filter is exactly the figure's
            assert list_screen(app)._query == figure.filter
            screen = await open_dashboard(pilot)

        # the backlog: every ticket bob may see that is not done
        not_done = core_numbers(world, "bob", TicketFilter(statuses=OPEN))
        assert not_done == {t.late, t.soon, t.later, t.taken, t.waiting, t.internal}
        assert screen.figures.volume.backlog_end == screen.figures.not_done == len(not_done)
        assert set(await choose(pilot, screen.query_one("#backlog", Figure))) == not_done
        assert "Status: new, open, waiting" in text_of(app, "#filters")

        # an agent's row: that agent's tickets not done
        screen = await open_dashboard(pilot)
        rows = {row.login: row for row in screen.query(AgentLoad)}
        assert {login: row.count for login, row in rows.items()} == {"bob": 5, "anna": 1}
        shown = await choose(pilot, rows["bob"])
        assert set(shown) == not_done - {t.taken}
        assert "Owner: bob" in text_of(app, "#filters")


async def test_anna_sees_the_load_of_each_agent_and_opens_one(
    backend: Backend, world: Any, fixed_clock: datetime
) -> None:
    t: Tickets = _tickets(world)
    anna = Backend(backend.engine, "anna", backend.settings)
    try:
        app = make_app(backend=anna, poll_interval=0.2)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = await open_dashboard(pilot)
            rows = {row.login: row for row in screen.query(AgentLoad)}
            # bob's internal ticket is not anna's to see; the Sales ticket is carl's
            assert {login: row.count for login, row in rows.items()} == {
                "bob": 4,
                "anna": 1,
                "carl": 1,
            }
            assert [row.login for row in screen.query(AgentLoad)] == ["bob", "anna", "carl"]
            assert set(await choose(pilot, rows["anna"])) == {t.taken}
            screen = await open_dashboard(pilot)
            carl = {row.login: row for row in screen.query(AgentLoad)}["carl"]
            assert set(await choose(pilot, carl)) == {t.sales}
    finally:
        anna.close()


async def test_arrows_move_between_the_figures(app: TixApp, world: Any) -> None:
    from tests.tui.test_ticket_list import open_tickets

    open_tickets(world, 2)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_dashboard(pilot)
        assert screen.focused.id == "queue-new"
        await pilot.press("right")
        assert screen.focused.id == "queue-unassigned"
        await pilot.press("down", "down", "down")
        assert screen.focused.id == "backlog"
        await pilot.press("down")
        assert isinstance(screen.focused, AgentLoad) and screen.focused.login == "bob"
        await pilot.press("up", "left")
        assert screen.focused.id == "queue-soon"
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "TicketListScreen")


async def test_a_new_ticket_shows_up_live(app: TixApp, world: Any, fixed_clock: datetime) -> None:
    from tix.core.services import changes, contacts, opening

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_dashboard(pilot)
        assert screen.query_one("#queue-new", QueueTile).count == 0
        with session_scope(world.engine, write=True) as session:
            bob = world.user(session, "bob")
            made = opening.open_request_ticket(
                session,
                bob,
                channel=world.channel(session, "support"),
                customer=contacts.find_contact(session, "kunde@example.com"),
                subject="Pump",
                body="Leaks",
            )
            changes.change_ticket(session, bob, ticket=made, status="new")
        await wait_for(pilot, lambda: screen.query_one("#queue-new", QueueTile).count == 1)
        assert screen.query_one("#queue-unassigned", QueueTile).count == 1
        assert {row.login: row.count for row in screen.query(AgentLoad)} == {"bob": 1}
        # a change fetches today's figures only; the 30 days wait for their minute
        assert screen.figures.volume is None and screen.figures.not_done == 1
        backlog = screen.query_one("#backlog").query_one(Sparkline)
        assert list(backlog.data)[-1] == 1.0


async def test_the_palette_opens_the_dashboard(app: TixApp, world: Any) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Dashboard")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DashboardScreen")


def test_queue_filters_read_as_the_lists_names() -> None:
    from tix.core.reporting.queue import BREACHING_SOON, OVERDUE, UNASSIGNED

    assert spec_of(BREACHING_SOON).due_within == "2h"
    assert spec_of(OVERDUE).breached
    assert spec_of(UNASSIGNED).statuses == OPEN and spec_of(UNASSIGNED).unassigned
    with pytest.raises(ValueError):
        spec_of(TicketFilter(owner_id=1))
    assert load_bar(5, 10, 4) == "██"
    assert load_bar(1, 10, 4) == "▍"  # 3.2 eighths of a cell
    assert load_bar(0, 10, 4) == ""


def _dashboard_shown() -> Any:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await open_dashboard(pilot)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_of_the_dashboard(
    demo_snapshot: DemoSnapshot,
    size: tuple[int, int],
    language: str,
) -> None:
    assert demo_snapshot(size, language, _dashboard_shown())

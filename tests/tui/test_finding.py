"""Finding tickets in the TUI: a number typed in the search or in "go to ticket" opens
that ticket; colors and sort; saved views (save, show, remove). Pilot on SQLite and
PostgreSQL; snapshots of the dialogs on the demo."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label, OptionList

from tests.tui.conftest import DemoSnapshot
from tests.tui.test_ticket_list import (
    list_screen,
    notifications,
    numbers,
    open_tickets,
    pick,
    settle,
    text_of,
    wait_for,
)
from tix.core.db import session_scope
from tix.core.services import saved_views
from tix.core.services.saved_views import ViewSpec
from tix.tui.app import TixApp
from tix.tui.backend import Backend
from tix.tui.dialogs.finding import GoToTicketDialog, SaveViewDialog, ViewsDialog
from tix.tui.screens.ticket_list import ListFilters, TicketListScreen


def _views(world: Any, login: str = "bob") -> dict[str, dict[str, Any]]:
    with session_scope(world.engine) as session:
        return {
            view.name: dict(view.filters)
            for view in saved_views.list_views(session, world.user(session, login))
        }


@pytest.fixture
def hidden(world: Any) -> int:
    """A ticket in Sales, which bob may not see."""
    (number,) = open_tickets(
        world, subject="Sales only", actor="anna", owner="carl", channel="sales"
    )
    return number


def _viewing(app: TixApp) -> int | None:
    return getattr(app.screen, "number", None) if app.screen is not None else None


# --- a number in the search ---------------------------------------------------------


@pytest.mark.parametrize("typed", ["{n}", "#{n}", "Ticket#{n}", " [ticket#{n}] "])
async def test_a_number_typed_in_the_search_opens_that_ticket(
    app: TixApp, world: Any, typed: str
) -> None:
    first, wanted = open_tickets(world, 2, subject="Pump")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *typed.format(n=wanted), "enter")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "TicketViewScreen")
        assert _viewing(pilot.app) == wanted
        await pilot.press("escape")
        await settle(pilot)
        # the list was not searched for the number as a word
        screen = list_screen(pilot.app)
        assert screen.filters == ListFilters() and sorted(numbers(pilot.app)) == [first, wanted]


async def test_a_number_not_to_be_seen_is_said_and_nothing_opens(
    app: TixApp, world: Any, hidden: int
) -> None:
    open_tickets(world)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *f"#{hidden}", "enter")
        await settle(pilot)
        await pilot.press("slash", *"#987654", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, TicketListScreen)
        said = notifications(pilot.app)
        assert f"Ticket #{hidden} is not visible to you." in said
        assert "There is no ticket #987654." in said
        assert list_screen(pilot.app).filters.search is None


async def test_words_with_a_number_are_still_a_search(app: TixApp, world: Any) -> None:
    (wanted,) = open_tickets(world, subject="Invoice 4711 twice")
    open_tickets(world, subject="Other")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"invoice 4711", "enter")
        await settle(pilot)
        assert numbers(pilot.app) == [wanted]


# --- go to ticket -------------------------------------------------------------------


async def test_go_to_ticket_keeps_the_dialog_open_until_the_number_can_be_opened(
    app: TixApp, world: Any, hidden: int
) -> None:
    (wanted,) = open_tickets(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("number_sign")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, GoToTicketDialog)
        field = dialog.query_one("#go-to-number", Input)
        for typed, said in [
            ("pump", "'pump' is not a ticket number"),
            (f"#{hidden}", f"Ticket #{hidden} is not visible to you."),
            ("99999", "There is no ticket #99999."),
        ]:
            field.value = typed
            await pilot.press("enter")
            await settle(pilot)
            assert pilot.app.screen is dialog
            assert field.value == typed and field.has_class("-invalid")
            assert said in str(dialog.query_one("#go-to-hint", Label).render())
        field.value = f"Ticket#{wanted}"
        await pilot.pause()
        assert not field.has_class("-invalid")  # typing again clears the mark
        await pilot.press("enter")
        await wait_for(pilot, lambda: _viewing(pilot.app) == wanted)
        await settle(pilot)


async def test_go_to_ticket_from_the_ticket_view_and_the_palette(app: TixApp, world: Any) -> None:
    first, second = open_tickets(world, 2)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        pilot.app.open_ticket(first)
        await wait_for(pilot, lambda: _viewing(pilot.app) == first)
        await settle(pilot)
        await pilot.press("number_sign")
        await settle(pilot)
        assert isinstance(pilot.app.screen, GoToTicketDialog)
        await pilot.press(*str(second), "enter")
        await wait_for(pilot, lambda: _viewing(pilot.app) == second)
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"go to ticket")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, GoToTicketDialog)


async def test_the_palette_opens_a_ticket_reference_and_shows_a_view(
    app: TixApp, world: Any, hidden: int
) -> None:
    (wanted,) = open_tickets(world, subject="High", priority=8)
    open_tickets(world, subject="Low", priority=2)
    with session_scope(world.engine, write=True) as session:
        spec = ViewSpec(min_priority=7)
        saved_views.save_view(session, world.user(session, "bob"), name="Urgent", spec=spec)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"view: urgent")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert numbers(pilot.app) == [wanted]
        assert "View: Urgent" in text_of(pilot.app, "#filters")
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*f"Ticket#{hidden}")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert f"Ticket #{hidden} is not visible to you." in notifications(pilot.app)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*f"Ticket#{wanted}")
        await settle(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: _viewing(pilot.app) == wanted)
        await settle(pilot)


# --- color and sort -----------------------------------------------------------------


async def test_color_and_sort_pickers(app: TixApp, world: Any) -> None:
    low, high, red = (
        open_tickets(world, subject="Low", priority=2)[0],
        open_tickets(world, subject="High", priority=8)[0],
        open_tickets(world, subject="Red", priority=5, color="red")[0],
    )
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pick(pilot, "C", "red")
        assert numbers(pilot.app) == [red]
        assert "Color: red" in text_of(pilot.app, "#filters")
        await pick(pilot, "C", "none")
        assert sorted(numbers(pilot.app)) == [low, high]
        await pick(pilot, "C", "")
        await pick(pilot, "S", "-priority")
        assert numbers(pilot.app) == [high, red, low]
        assert "Sort: Highest priority first" in text_of(pilot.app, "#filters")
        await pick(pilot, "S", "priority")
        assert numbers(pilot.app) == [low, red, high]
        await pick(pilot, "S", "")
        assert numbers(pilot.app) == [red, high, low]  # last changed first


# --- saved views --------------------------------------------------------------------


async def _save(pilot: Pilot[None], name: str) -> SaveViewDialog:
    await pilot.press("V")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, SaveViewDialog)
    dialog.query_one("#save-view-name", Input).value = name
    await pilot.press("enter")
    await settle(pilot)
    return dialog


async def test_save_show_and_remove_views(app: TixApp, world: Any) -> None:
    mine = open_tickets(world, subject="Bob's", owner="bob", priority=8)
    open_tickets(world, subject="Anna's", owner="anna", priority=8)
    open_tickets(world, subject="Bob's low", owner="bob", priority=2)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pick(pilot, "p", "7")
        await pick(pilot, "S", "-priority")
        await _save(pilot, "Urgent and mine")
        assert isinstance(pilot.app.screen, TicketListScreen)
        assert _views(world) == {
            "Urgent and mine": {"mine": True, "min_priority": 7, "sort": "-priority"}
        }
        assert "View: Urgent and mine" in text_of(pilot.app, "#filters")
        # a name taken asks first, then Enter again replaces
        await pick(pilot, "S", "")
        dialog = await _save(pilot, "urgent AND mine")
        assert pilot.app.screen is dialog
        assert "Enter again replaces it" in str(dialog.query_one("#save-view-hint").render())
        await pilot.press("enter")
        await settle(pilot)
        assert _views(world) == {"urgent AND mine": {"mine": True, "min_priority": 7}}
        await _save(pilot, "Everything")
        # other filters; then the view brings its own back
        await pilot.press("x")
        await settle(pilot)
        assert "View:" not in text_of(pilot.app, "#filters")
        await pilot.press("v")
        await settle(pilot)
        views = pilot.app.screen
        assert isinstance(views, ViewsDialog)
        assert [name for name, _spec, _text in views.views] == ["Everything", "urgent AND mine"]
        views.query_one(OptionList).highlighted = 1
        await pilot.press("enter")
        await settle(pilot)
        screen = list_screen(pilot.app)
        assert screen.filters == ListFilters(mine=True, min_priority=7)
        assert numbers(pilot.app) == mine
        assert "View: urgent AND mine" in text_of(pilot.app, "#filters")
        # Del twice removes the highlighted view; once only asks
        await pilot.press("v")
        await settle(pilot)
        views = pilot.app.screen
        assert isinstance(views, ViewsDialog)
        views.query_one(OptionList).highlighted = 0
        await pilot.press("delete")
        await settle(pilot)
        assert set(_views(world)) == {"Everything", "urgent AND mine"}
        await pilot.press("delete")
        await wait_for(pilot, lambda: set(_views(world)) == {"urgent AND mine"})
        await settle(pilot)
        assert [name for name, _spec, _text in views.views] == ["urgent AND mine"]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, TicketListScreen)


async def test_a_view_from_the_cli_with_filters_the_tui_has_no_key_for(
    app: TixApp, world: Any
) -> None:
    (wanted,) = open_tickets(world, subject="Pump", project=None, priority=4)
    open_tickets(world, subject="Pump", priority=6)
    with session_scope(world.engine, write=True) as session:
        spec = ViewSpec(statuses=("open", "waiting"), max_priority=5, kind="request")
        saved_views.save_view(session, world.user(session, "bob"), name="Quiet", spec=spec)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert numbers(pilot.app) == [wanted]
        bar = text_of(pilot.app, "#filters")
        assert "Status: open, waiting" in bar and "Priority: 1-5" in bar and "Kind:" in bar


async def test_a_view_that_names_what_is_gone_keeps_the_list_as_it_was(
    app: TixApp, world: Any
) -> None:
    open_tickets(world)
    with session_scope(world.engine, write=True) as session:
        from tix.core.models import SavedView

        session.add(SavedView(user_id=world.bob, name="Old", filters={"channel": "Gone"}))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        before = numbers(pilot.app)
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert any("no channel 'Gone'" in text for text in notifications(pilot.app))
        assert list_screen(pilot.app).filters == ListFilters() and numbers(pilot.app) == before


def test_list_filters_and_a_view_spec_carry_each_other() -> None:
    spec = ViewSpec(
        statuses=("open", "waiting"),
        channel="Support",
        min_priority=3,
        max_priority=5,
        color="none",
        sort="-created",
        project="Neubau",
        customer="kunde@example.com",
        kind="mail",
        search="pump",
        breached=True,
        due_within="2h",
    )
    filters = ListFilters.from_spec(spec)
    assert filters.to_spec() == spec
    assert filters.parts()[0] == ("Status", "open, waiting")
    assert ("SLA due within", "2h") in filters.parts()
    assert ListFilters.from_spec(ViewSpec(all_statuses=True)).status == "all"


# --- snapshots (the demo helpdesk, clock fixed, SQLite only) ---------------------------


def test_the_demo_has_views_for_every_agent(demo_backend: Backend) -> None:
    assert [(name, text) for name, _spec, text in demo_backend.views()] == [
        ("Dringend, niemand dran", "unassigned · priority: 7+ · sort: Highest priority first"),
        ("Wartet auf Kunden", "status: waiting · mine"),
    ]


def _dialog(*keys: str, typed: tuple[str, ...] = ()) -> Any:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)
        if typed:
            await pilot.press(*typed)
            await settle(pilot)
        for found in pilot.app.screen.query(Input):
            found.cursor_blink = False
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize(
    ("keys", "typed"),
    [
        (("number_sign",), ()),
        (("number_sign",), ("p", "u", "m", "p", "enter")),
        (("v",), ()),
        (("m", "V"), ("M", "i", "n", "e")),
    ],
    ids=["go-to", "go-to-invalid", "views", "save-view"],
)
def test_snapshot_of_the_dialogs(
    demo_snapshot: DemoSnapshot,
    size: tuple[int, int],
    keys: tuple[str, ...],
    typed: tuple[str, ...],
    language: str,
) -> None:
    assert demo_snapshot(size, language, _dialog(*keys, typed=typed))

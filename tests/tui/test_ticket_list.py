"""The ticket list, driven with Pilot on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from tix.core.db import session_scope
from tix.tui.app import TixApp, make_app
from tix.tui.backend import Backend
from tix.tui.screens.ticket_list import PickerScreen, TicketListScreen
from tix.tui.widgets.ticket_table import TicketTable, layout_columns

# --- helpers ------------------------------------------------------------------------


def user(world: Any, session: Any, login: str) -> Any:
    """A user of the test world by login (anna is its admin)."""
    return world.user(session, "admin" if login == "anna" else login)


def open_tickets(
    world: Any,
    count: int = 1,
    *,
    subject: str = "Pump",
    body: str = "It leaks",
    actor: str = "bob",
    owner: str | None = None,
    channel: str = "support",
    project: str | None = None,
    **fields: Any,
) -> list[int]:
    """Request tickets for kunde@example.com, through the services; their numbers."""
    from tix.core.services import contacts, opening, projects

    with session_scope(world.engine, write=True) as session:
        customer = contacts.find_contact(session, "kunde@example.com")
        if project is not None:
            fields["project"] = projects.get_project(session, project)
        return [
            opening.open_request_ticket(
                session,
                user(world, session, actor),
                channel=world.channel(session, channel),
                customer=customer,
                subject=f"{subject} {index}" if count > 1 else subject,
                body=body,
                owner=user(world, session, owner) if owner else None,
                **fields,
            ).number
            for index in range(count)
        ]


def change(world: Any, number: int, actor: str = "anna", **fields: Any) -> None:
    from tix.core.services import changes, tickets

    with session_scope(world.engine, write=True) as session:
        actor_user = user(world, session, actor)
        ticket = tickets.get_ticket(session, actor_user, number)
        changes.change_ticket(session, actor_user, ticket=ticket, **fields)


def note(world: Any, number: int, body: str, actor: str = "anna") -> None:
    from tix.core.services import messages, tickets

    with session_scope(world.engine, write=True) as session:
        actor_user = user(world, session, actor)
        ticket = tickets.get_ticket(session, actor_user, number)
        messages.add_note(session, actor_user, ticket=ticket, body=body)


async def settle(pilot: Pilot[None], rounds: int = 6) -> None:
    """Until the workers (and what their answers start) are done."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in pilot.app.workers):
            break


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await pilot.pause(0.05)


def list_screen(app: TixApp) -> TicketListScreen:
    screen = app.screen
    assert isinstance(screen, TicketListScreen), type(screen).__name__
    return screen


def numbers(app: TixApp) -> list[int]:
    return [row.number for row in list_screen(app).table.rows]


def text_of(app: TixApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).visual)


async def pick(pilot: Pilot[None], key: str, value: str) -> None:
    """Open a filter picker with ``key`` and choose ``value`` ("" for any)."""
    await pilot.press(key)
    await settle(pilot)
    picker = pilot.app.screen
    assert isinstance(picker, PickerScreen)
    values = [v for v, _label in picker.options]
    picker.query_one(OptionList).highlighted = values.index(value)
    await pilot.press("enter")
    await settle(pilot)


def notifications(app: TixApp) -> list[str]:
    return [n.message for n in app._notifications]


# --- the list -------------------------------------------------------------------------


async def test_the_list_shows_the_tickets_bob_may_see(app: TixApp, world: Any) -> None:
    from tix.core.services import opening

    mine = open_tickets(world, 2, subject="Support ticket")
    sales = open_tickets(world, subject="Sales ticket", actor="anna", owner="carl", channel="sales")
    with session_scope(world.engine, write=True) as session:
        anna = user(world, session, "anna")
        private = opening.open_internal_ticket(
            session, anna, owner=user(world, session, "dora"), subject="Between anna and dora"
        ).number
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        shown = numbers(pilot.app)
        assert sorted(shown) == sorted(mine)
        assert sales[0] not in shown and private not in shown
        # last changed first
        assert shown == sorted(mine, reverse=True)
        assert "Support ticket" in pilot.app.screen.query_one(TicketTable).render_line(1).text


async def test_scrolling_past_a_page_loads_the_next(app: TixApp, world: Any) -> None:
    made = open_tickets(world, 250, subject="Bulk")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = list_screen(pilot.app).table
        assert len(table.rows) == 100 and table.more_coming
        for _ in range(5):
            await pilot.press("end")
            await settle(pilot)
        assert len(table.rows) == 250
        assert not table.more_coming
        assert sorted(row.number for row in table.rows) == sorted(made)
        assert table.selected is not None and table.selected.number == min(made)
        # back at the top, a refresh fetches what is in view (and a page), not all 250
        await pilot.press("home")
        await asyncio.to_thread(change, world, made[100], priority=9)
        await wait_for(pilot, lambda: table.rows[0].number == made[100])
        assert 100 <= len(table.rows) < 250 and table.more_coming
        for _ in range(5):
            await pilot.press("end")
            await settle(pilot)
        assert len(table.rows) == 250 and len({row.id for row in table.rows}) == 250


@pytest.fixture
def varied(world: Any) -> dict[str, int]:
    """Tickets that each quick filter tells apart."""
    from tix.core.services import opening

    numbers: dict[str, int] = {}
    (numbers["urgent"],) = open_tickets(
        world, subject="Urgent pump", priority=8, categories=["Pumpe"]
    )
    (numbers["annas"],) = open_tickets(world, subject="Invoice", owner="anna", priority=3)
    (numbers["waiting"],) = open_tickets(world, subject="Waiting for parts")
    change(world, numbers["waiting"], status="waiting")
    (numbers["fresh"],) = open_tickets(world, subject="Fresh one")
    change(world, numbers["fresh"], status="new")
    (numbers["closed"],) = open_tickets(world, subject="Old news")
    change(world, numbers["closed"], status="closed")
    with session_scope(world.engine, write=True) as session:
        bob = user(world, session, "bob")
        numbers["internal"] = opening.open_internal_ticket(
            session, user(world, session, "anna"), owner=bob, subject="Internal for bob"
        ).number
    return numbers


FILTERS: list[tuple[str, Sequence[str], str | None, set[str]]] = [
    # keys, picked value, expected tickets
    ("nothing", (), None, {"urgent", "annas", "waiting", "fresh", "internal"}),
    ("mine", ("m",), None, {"urgent", "waiting", "fresh", "internal"}),
    ("unassigned", ("u",), None, {"urgent", "waiting", "fresh"}),
    ("status new", ("s",), None, {"fresh"}),
    ("status open", ("s", "s"), None, {"urgent", "annas", "internal"}),
    ("status waiting", ("s", "s", "s"), None, {"waiting"}),
    ("status closed", ("s",) * 5, None, {"closed"}),
    ("status all", ("s",) * 6, None, {"urgent", "annas", "waiting", "fresh", "internal", "closed"}),
    ("all again", ("s",) * 7, None, {"urgent", "annas", "waiting", "fresh", "internal"}),
    ("channel", ("c",), "Support", {"urgent", "annas", "waiting", "fresh"}),
    ("owner", ("o",), "anna", {"annas"}),
    ("category", ("g",), "Pumpe", {"urgent"}),
    ("priority", ("p",), "7", {"urgent"}),
]


@pytest.mark.parametrize(
    ("name", "keys", "value", "expected"), FILTERS, ids=[f[0] for f in FILTERS]
)
async def test_each_quick_filter_changes_the_rows(
    app: TixApp,
    varied: dict[str, int],
    name: str,
    keys: Sequence[str],
    value: str | None,
    expected: set[str],
) -> None:
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        if value is None:
            for key in keys:
                await pilot.press(key)
                await settle(pilot)
        else:
            await pick(pilot, keys[0], value)
        assert set(numbers(pilot.app)) == {varied[key] for key in expected}
        bar = text_of(pilot.app, "#filters")
        if value is not None:
            assert value in bar
        # x clears every filter
        await pilot.press("x")
        await settle(pilot)
        assert set(numbers(pilot.app)) == {varied[k] for k in FILTERS[0][3]}
        assert list_screen(pilot.app).filters.active is False


async def test_escape_leaves_a_picker_without_changing_the_filter(app: TixApp, world: Any) -> None:
    open_tickets(world, 2)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PickerScreen)
        assert [label for _value, label in pilot.app.screen.options] == [
            "(any)",
            "Sales",
            "Support",
        ]
        await pilot.press("escape")
        await settle(pilot)
        assert list_screen(pilot.app).filters.channel is None
        assert len(numbers(pilot.app)) == 2


async def test_search_finds_a_ticket_by_a_word_of_its_body(app: TixApp, world: Any) -> None:
    (wanted,) = open_tickets(world, subject="Odd noise", body="The flux capacitor sparks")
    others = open_tickets(world, 3, subject="Other", body="Nothing to see")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert len(numbers(pilot.app)) == 4
        await pilot.press("slash", *"capacitor", "enter")
        await settle(pilot)
        assert numbers(pilot.app) == [wanted]
        assert "capacitor" in text_of(pilot.app, "#filters")
        # Escape clears the search first
        await pilot.press("escape")
        await settle(pilot)
        assert sorted(numbers(pilot.app)) == sorted([wanted, *others])
        # Escape in the search box clears it too
        await pilot.press("slash", *"sparks")
        await pilot.press("escape")
        await settle(pilot)
        assert len(numbers(pilot.app)) == 4
        assert list_screen(pilot.app).filters.search is None


async def test_the_preview_shows_project_customer_and_first_message(
    app: TixApp, world: Any
) -> None:
    from tix.core.services import projects

    with session_scope(world.engine, write=True) as session:
        projects.add_project(session, user(world, session, "anna"), name="Hall 7")
    (first,) = open_tickets(
        world, subject="Crane", body="The crane in hall 7 is stuck", project="Hall 7"
    )
    (second,) = open_tickets(world, subject="Door", body="The door squeaks")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert list_screen(pilot.app).table.selected.number == second  # type: ignore[union-attr]
        assert "The door squeaks" in text_of(pilot.app, "#preview-message")
        await pilot.press("down")
        await pilot.pause(0.3)
        await settle(pilot)
        facts = text_of(pilot.app, "#preview-facts")
        assert "Hall 7" in facts
        assert "Karla Kunde <kunde@example.com>" in facts
        assert "open" in facts
        assert f"#{first}" in text_of(pilot.app, "#preview-head")
        assert "The crane in hall 7 is stuck" in text_of(pilot.app, "#preview-message")


async def test_fast_cursor_moves_fetch_only_where_the_cursor_rests(
    app: TixApp, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_tickets(world, 20, subject="Many")
    fetched: list[int] = []
    original = Backend.ticket

    def counting(self: Backend, number: int) -> dict[str, Any]:
        fetched.append(number)
        return original(self, number)

    monkeypatch.setattr(Backend, "ticket", counting)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        fetched.clear()
        table = list_screen(pilot.app).table
        for _ in range(10):  # faster than anyone types: no pause between the moves
            table.action_cursor(1)
        await pilot.pause(0.4)
        await settle(pilot)
        selected = list_screen(pilot.app).table.selected
        assert selected is not None and fetched == [selected.number]


async def test_another_users_note_updates_the_count_and_the_row(app: TixApp, world: Any) -> None:
    (number,) = open_tickets(world, subject="Watched")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert text_of(pilot.app, "#bell") == "🔔 0"
        before = list_screen(pilot.app).table.rows[0]
        await asyncio.to_thread(note, world, number, "Customer called again", "anna")
        await wait_for(pilot, lambda: text_of(pilot.app, "#bell") == "🔔 1")
        await wait_for(pilot, lambda: list_screen(pilot.app).table.rows[0].version > before.version)


async def test_the_cursor_stays_on_its_ticket_across_a_refresh(app: TixApp, world: Any) -> None:
    made = open_tickets(world, 5, subject="Row")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down")
        table = list_screen(pilot.app).table
        chosen = table.selected
        assert chosen is not None and table.cursor == 2
        # another ticket changes and moves to the top: the cursor moves with its ticket
        moved = made[0]
        await asyncio.to_thread(change, world, moved, priority=9)
        await wait_for(pilot, lambda: table.rows[0].number == moved)
        assert table.selected is not None and table.selected.id == chosen.id
        assert table.cursor == 3
        # the selected ticket itself changes: still selected, with the new data
        await asyncio.to_thread(change, world, chosen.number, status="waiting")
        await wait_for(pilot, lambda: table.rows[0].number == chosen.number)
        assert table.selected is not None and table.selected.status == "waiting"
        assert table.cursor == 0


async def test_errors_become_notifications_and_the_filters_stay_true(
    app: TixApp, world: Any
) -> None:
    made = open_tickets(world, 2)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        # a search without a single word is refused by the core
        await pilot.press("slash", *"%%%", "enter")
        await settle(pilot)
        assert any("no words to search for" in n for n in notifications(pilot.app))
        screen = list_screen(pilot.app)
        assert screen.filters.search is None
        assert sorted(numbers(pilot.app)) == sorted(made)
        # a channel that is not there (any more)
        screen.apply_filters(replace(screen.filters, channel="Gone"))
        await settle(pilot)
        assert any("no channel 'Gone'" in n for n in notifications(pilot.app))
        assert screen.filters.channel is None
        assert "Gone" not in text_of(pilot.app, "#filters")
        assert sorted(numbers(pilot.app)) == sorted(made)


async def test_enter_opens_the_ticket_view(app: TixApp, world: Any) -> None:
    (number,) = open_tickets(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        pytest.importorskip("tix.tui.screens.ticket_view")
        await pilot.press("enter")
        await settle(pilot)
        assert type(pilot.app.screen).__name__ == "TicketViewScreen"
        assert getattr(pilot.app.screen, "number", number) == number


async def test_mouse_click_selects_and_double_click_opens(app: TixApp, world: Any) -> None:
    made = open_tickets(world, 3)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = list_screen(pilot.app).table
        await pilot.click(TicketTable, offset=(20, 3))  # line 0 is the header
        assert table.selected is not None and table.selected.number == made[0]
        opened: list[int] = []
        list_screen(pilot.app).open_ticket = opened.append  # type: ignore[method-assign]
        await pilot.double_click(TicketTable, offset=(20, 2))
        await pilot.pause()
        assert opened == [made[1]]


async def test_a_new_ticket_is_opened_and_selected_when_its_form_closes(
    app: TixApp, world: Any
) -> None:
    """The agent lands on the ticket just made, not on the list (which selects it
    behind)."""
    open_tickets(world, 3)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        pytest.importorskip("tix.tui.screens.new_ticket")
        await pilot.press("N")
        await settle(pilot)
        form = pilot.app.screen
        assert type(form).__name__ == "NewTicketScreen"
        (number,) = await asyncio.to_thread(open_tickets, world, subject="Made in the form")
        form.dismiss(number)
        await wait_for(pilot, lambda: getattr(pilot.app.screen, "number", None) == number)
        assert type(pilot.app.screen).__name__ == "TicketViewScreen"
        await settle(pilot)
        await pilot.press("escape")  # back on the list: the new ticket is selected
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TicketListScreen))
        table = list_screen(pilot.app).table
        await wait_for(
            pilot, lambda: table.selected is not None and table.selected.number == number
        )


async def test_notifications_screen_opens_marks_read_and_goes_back(app: TixApp, world: Any) -> None:
    numbers_ = open_tickets(world, 2)
    for number in numbers_:
        note(world, number, "Look at this")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert text_of(pilot.app, "#bell") == "🔔 2"
        await pilot.press("n")
        await settle(pilot)
        from tix.tui.screens.notifications import NotificationsScreen

        screen = pilot.app.screen
        assert isinstance(screen, NotificationsScreen)
        assert len(screen.items) == 2 and not any(item["read"] for item in screen.items)
        await pilot.press("r")
        await settle(pilot)
        assert [item["read"] for item in screen.items] == [True, False]
        await pilot.press("R")
        await settle(pilot)
        assert all(item["read"] for item in screen.items)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, TicketListScreen)
        assert text_of(pilot.app, "#bell") == "🔔 0"


async def test_the_command_palette_offers_every_action(app: TixApp, world: Any) -> None:
    from tix.tui.commands import TixCommands

    open_tickets(world, 2)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        provider = TixCommands(pilot.app.screen)
        names = [hit.text async for hit in provider.discover()]
        for wanted in (
            "New ticket",
            "Filter: mine",
            "Filter: channel…",
            "Search…",
            "Notifications",
        ):
            assert wanted in names
        assert "Toggle dark/light theme" in names and "Quit tix" in names
        hits = [hit.text async for hit in provider.search("#1042")]
        assert hits[0] == "Open ticket #1042"
        # and they work: run "mine" from the palette
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Filter: mine")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert list_screen(pilot.app).filters.mine


async def test_q_quits_and_ctrl_t_toggles_the_theme(app: TixApp, world: Any) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        theme = pilot.app.theme
        await pilot.press("ctrl+t")
        assert pilot.app.theme != theme
        await pilot.press("q")
        await pilot.pause()
        assert not pilot.app.is_running


async def test_german_labels(backend: Backend, world: Any) -> None:
    from tix.core.i18n import use_language

    open_tickets(world)
    with use_language("de"):
        app = make_app(backend=backend, poll_interval=0)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            header = pilot.app.screen.query_one(TicketTable).render_line(0).text
            assert "Betreff" in header and "Kanal" in header and "Geändert" in header
            assert "Kunde" in text_of(pilot.app, "#preview-facts")


# --- layout -------------------------------------------------------------------------


def test_last_change_shows_time_today_day_this_year_and_date_before() -> None:
    from datetime import UTC, datetime

    from tix.core.i18n import use_language
    from tix.core.timeutil import zone
    from tix.tui.widgets.ticket_table import format_changed

    berlin = zone("Europe/Berlin")
    now = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)  # 10:30 in Berlin
    assert format_changed(datetime(2026, 11, 26, 23, 30, tzinfo=UTC), berlin, now) == "00:30"
    assert format_changed(datetime(2026, 11, 26, 22, 59, tzinfo=UTC), berlin, now) == "11-26"
    assert format_changed(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), berlin, now) == "07-01"
    assert format_changed(datetime(2025, 12, 31, 23, 30, tzinfo=UTC), berlin, now) == "01-01"
    assert format_changed(datetime(2025, 12, 31, 22, 30, tzinfo=UTC), berlin, now) == "2025-12-31"
    with use_language("de"):  # German: its own order, the same forms
        assert format_changed(datetime(2026, 11, 26, 22, 59, tzinfo=UTC), berlin, now) == "26.11."
        old = datetime(2025, 12, 31, 22, 30, tzinfo=UTC)
        assert format_changed(old, berlin, now) == "31.12.2025"


@pytest.mark.parametrize("width", [40, 60, 79, 99, 119, 159, 240])
def test_columns_fill_the_width_and_the_subject_gets_the_rest(width: int) -> None:
    columns = layout_columns(width)
    assert sum(c.width for c in columns) + len(columns) - 1 == width
    keys = [c.key for c in columns]
    assert keys[:5] == ["mark", "number", "priority", "status", "subject"]
    subject = next(c for c in columns if c.key == "subject")
    assert subject.width >= min(24, width - 20)
    if width >= 119:
        assert {"customer", "owner", "channel", "project", "categories", "changed"} <= set(keys)


# --- snapshots (the demo helpdesk, clock fixed, SQLite only) ---------------------------


def demo_app(demo_backend: Backend) -> TixApp:
    return make_app(backend=demo_backend, poll_interval=0)


async def _settled(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.pause()


def _then(*keys: str) -> Callable[[Pilot[None]], Any]:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await pilot.pause(0.3)
            await settle(pilot)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize(
    ("size", "keys", "theme"),
    [
        ((80, 24), (), "textual-dark"),
        ((120, 40), (), "textual-dark"),
        ((160, 40), ("down", "down"), "textual-dark"),
        ((80, 24), ("m",), "textual-light"),
    ],
    ids=["80x24", "120x40", "160x40-wide", "80x24-light-mine"],
)
def test_snapshot_of_the_list(
    snap_compare: Any,
    demo_backend: Backend,
    size: tuple[int, int],
    keys: Iterable[str],
    theme: str,
) -> None:
    app = demo_app(demo_backend)
    app.theme = theme
    assert snap_compare(app, terminal_size=size, run_before=_then(*keys))

"""Merge, split, link and unlink from the ticket view, driven by keys like a user."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select

from tests.tui.conftest import DemoSnapshot
from tests.tui.test_ticket_view import (
    _without_ticket_list,  # noqa: F401 (autouse: this screen is tested on its own)
    dialog,
    each_database,
    notifications,
    open_view,
    press,
    screen_text,
    settle,
    type_text,
)
from tix.core.db import session_scope
from tix.core.services import contacts, messages, opening, tickets
from tix.tui.app import TixApp
from tix.tui.backend import Backend
from tix.tui.dialogs import ConfirmDialog, FormDialog, PickDialog
from tix.tui.screens.ticket_view import TicketViewScreen


def _another(world: Any, subject: str) -> int:
    """A second request ticket of the same customer in Support, owned by bob."""
    with session_scope(world.engine, write=True) as session:
        made = opening.open_request_ticket(
            session,
            world.user(session, "bob"),
            channel=world.channel(session, "support"),
            customer=contacts.find_contact(session, "kunde@example.com"),
            subject=subject,
            body=f"{subject}: the customer's words",
        )
        return made.number


def _notes(world: Any, number: int, *bodies: str) -> None:
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        ticket = tickets.find_ticket(session, number)
        for body in bodies:
            messages.add_note(session, bob, ticket=ticket, body=body)


@each_database
async def test_merge_picks_the_target_confirms_and_opens_it(
    app: TixApp, backend: Backend, world: Any, ticket: int
) -> None:
    target = _another(world, "Pump again")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "M")
        dialog(pilot.app, FormDialog)
        await type_text(pilot, f"#{target}")
        await press(pilot, "enter")
        dialog(pilot.app, ConfirmDialog)
        assert f"Merge #{ticket} into #{target}?" in screen_text(pilot.app)
        await press(pilot, "y")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, TicketViewScreen) and screen.number == target
        assert f"Merged #{ticket} into #{target}." in notifications(pilot.app)
    source = backend.ticket(ticket)
    assert source.status == "closed" and source.merged_into == target
    assert backend.ticket(target).merged == [ticket]


@each_database
async def test_a_refused_merge_keeps_the_dialog_and_what_was_typed(
    app: TixApp, backend: Backend, ticket: int
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "M")
        await type_text(pilot, "abc")
        await press(pilot, "enter")
        form = dialog(pilot.app, FormDialog)
        assert form.query_one("#field-target", Input).value == "abc"
        assert any("no ticket number" in n for n in notifications(pilot.app))
        form.query_one("#field-target", Input).value = "999999"
        await press(pilot, "enter")
        await press(pilot, "y")
        await settle(pilot)
        form = dialog(pilot.app, FormDialog)
        assert form.query_one("#field-target", Input).value == "999999"
        assert any("no ticket #999999" in n for n in notifications(pilot.app))
        await press(pilot, "escape")
        assert isinstance(pilot.app.screen, TicketViewScreen)
    assert backend.ticket(ticket).merged_into is None


@each_database
async def test_split_from_the_picked_activity_opens_the_new_ticket(
    app: TixApp, backend: Backend, world: Any, ticket: int
) -> None:
    _notes(world, ticket, "keep this", "about the valve", "valve again")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "S")
        dialog(pilot.app, PickDialog)
        await type_text(pilot, "about the")
        await press(pilot, "enter")
        form = dialog(pilot.app, FormDialog)
        form.query_one("#field-subject", Input).value = "Valve"
        await press(pilot, "ctrl+s")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, TicketViewScreen) and screen.number != ticket
        new_number = screen.number
    new = backend.ticket(new_number)
    assert new.subject == "Valve"
    assert [a.body for a in new.activities][:2] == ["about the valve", "valve again"]
    assert [(x.relation, x.number) for x in new.links] == [("child", ticket)]
    assert "valve again" not in [a.body for a in backend.ticket(ticket).activities]


@each_database
async def test_split_only_one_activity(
    app: TixApp, backend: Backend, world: Any, ticket: int
) -> None:
    _notes(world, ticket, "split me", "stay")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "S")
        await type_text(pilot, "split me")
        await press(pilot, "enter")
        form = dialog(pilot.app, FormDialog)
        form.query_one("#field-only", Checkbox).value = True
        await press(pilot, "ctrl+s")
        await settle(pilot)
    bodies = [a.body for a in backend.ticket(ticket).activities]
    assert "stay" in bodies and "split me" not in bodies


@each_database
async def test_link_and_unlink_show_in_the_details_tab(
    app: TixApp, backend: Backend, world: Any, ticket: int
) -> None:
    other = _another(world, "Site B")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_view(pilot, ticket)
        await press(pilot, "L")
        form = dialog(pilot.app, FormDialog)
        await type_text(pilot, str(other))
        form.query_one("#field-kind", Select).value = "parent"
        await press(pilot, "ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert [(x.relation, x.number) for x in screen.detail.links] == [("parent", other)]
        await press(pilot, "1")
        assert f"parent of #{other} Site B" in screen_text(pilot.app)
        await press(pilot, "U")
        dialog(pilot.app, PickDialog)
        await press(pilot, "enter")
        await settle(pilot)
        assert screen.detail.links == []
    assert backend.ticket(other).links == []


@each_database
async def test_the_palette_offers_merge_split_and_link(app: TixApp, ticket: int) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "ctrl+p")
        await type_text(pilot, "Merge into")
        await pilot.pause(0.5)
        await press(pilot, "enter")
        dialog(pilot.app, FormDialog)
        await press(pilot, "escape")
        await press(pilot, "ctrl+p")
        await type_text(pilot, "Link")
        await pilot.pause(0.5)
        await press(pilot, "enter")
        dialog(pilot.app, FormDialog)


# --- snapshots ---------------------------------------------------------------------------


SNAPSHOT_TICKET = 1026
"""A demo mail ticket with replies and notes (as in the ticket view's snapshots)."""


def _dialog(*keys: str) -> Any:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.app.push_screen(TicketViewScreen(SNAPSHOT_TICKET))
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)
        for found in pilot.app.screen.query(Input):
            found.cursor_blink = False
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize(
    "keys",
    [("M",), ("M", "1", "0", "2", "7", "enter"), ("S",), ("L",)],
    ids=["merge", "merge-confirm", "split", "link"],
)
def test_snapshot_of_the_dialogs(
    demo_snapshot: DemoSnapshot,
    size: tuple[int, int],
    keys: tuple[str, ...],
    language: str,
) -> None:
    assert demo_snapshot(size, language, _dialog(*keys))


@each_database
async def test_the_list_shows_how_many_children_of_a_parent_are_open(
    app: TixApp, world: Any, ticket: int
) -> None:
    from tix.core.services import links
    from tix.core.services.changes import change_ticket
    from tix.tui.widgets.ticket_table import TicketTable

    first, second = _another(world, "Site A"), _another(world, "Site B")
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        parent = tickets.find_ticket(session, ticket)
        for number in (first, second):
            links.link_tickets(
                session,
                bob,
                ticket=parent,
                other=tickets.find_ticket(session, number),
                kind="parent",
            )
        change_ticket(session, bob, ticket=tickets.find_ticket(session, first), status="solved")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        table = pilot.app.screen.query_one(TicketTable)
        lines = [table.render_line(y).text for y in range(1, 4)]
        assert any(f"{ticket}" in line and "[1/2] Pump" in line for line in lines), lines

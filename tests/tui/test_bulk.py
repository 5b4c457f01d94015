"""Bulk actions in the ticket list: marks, one confirmation, one summary (Pilot, real
database on SQLite and PostgreSQL; snapshots on the demo)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, OptionList, TextArea

from tests.tui.conftest import DemoSnapshot
from tix.core.db import session_scope
from tix.core.models import ActivityKind, Ticket, TicketStatus
from tix.tui.app import TixApp, make_app
from tix.tui.backend import Backend
from tix.tui.dialogs import ComposeDialog, ConfirmDialog, FormDialog, PickDialog
from tix.tui.dialogs.bulk import BulkSummaryDialog
from tix.tui.widgets.ticket_table import TicketTable

from .test_ticket_list import change, list_screen, open_tickets, settle, text_of, wait_for


def _ticket(world: Any, number: int) -> Ticket:
    from sqlalchemy import select
    from sqlmodel import col

    with session_scope(world.engine) as session:
        return session.execute(select(Ticket).where(col(Ticket.number) == number)).scalar_one()


def _table(app: TixApp) -> TicketTable:
    return list_screen(app).table


async def _choose(pilot: Pilot[None], value: str) -> None:
    """Pick ``value`` in the open PickDialog."""
    dialog = pilot.app.screen
    assert isinstance(dialog, PickDialog), type(dialog).__name__
    options = dialog.query_one(OptionList)
    ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
    options.highlighted = ids.index(value)
    await pilot.press("enter")
    await settle(pilot)


async def _summary(pilot: Pilot[None]) -> BulkSummaryDialog:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, BulkSummaryDialog))
    screen = pilot.app.screen
    assert isinstance(screen, BulkSummaryDialog)
    return screen


async def test_space_marks_and_a_bulk_status_change_names_the_refused(
    app: TixApp, world: Any
) -> None:
    first, second, third = open_tickets(world, 3)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        table = _table(pilot.app)
        assert [row.number for row in table.rows] == [third, second, first]
        header = table.render_line(0).text
        await pilot.press("space", "space")  # marks the first two; the cursor moves on
        assert [t.number for t in table.marks.values()] == [third, second]
        assert table.cursor == 2
        assert "✓" in table.render_line(1).text and "✓" not in table.render_line(3).text
        assert table.render_line(0).text != header  # the mark column came
        assert "2 marked" in text_of(pilot.app, "#filters")
        await pilot.press("up", "space")  # unmarks the second
        assert [t.number for t in table.marks.values()] == [third]
        await pilot.press("up", "space")
        assert [t.number for t in table.marks.values()] == [third, second]

        change(world, second, priority=2)  # someone else, meanwhile
        await pilot.press("b")
        await settle(pilot)
        await _choose(pilot, "status")
        await _choose(pilot, "closed")
        confirm = pilot.app.screen
        assert isinstance(confirm, ConfirmDialog)
        assert confirm.question == "Status → closed on 2 tickets?"
        await pilot.press("y")
        summary = await _summary(pilot)
        assert [r.number for r in summary.results if r.ok] == [third]
        refused = [r for r in summary.results if not r.ok]
        assert [r.number for r in refused] == [second]
        assert (
            refused[0].error is not None and "changed by someone else" in refused[0].error.message
        )
        text = " ".join(str(s.visual) for s in summary.query("Label, Static"))
        assert "Done on 1 ticket." in text and f"#{second}: ticket #{second} was changed" in text
        await pilot.press("escape")
        await settle(pilot)
        # the refused one stays marked, for another go
        assert [t.number for t in table.marks.values()] == [second]
    assert _ticket(world, third).status == TicketStatus.CLOSED
    assert _ticket(world, second).status == TicketStatus.OPEN


async def test_star_marks_all_that_match_on_every_page(
    backend: Backend, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tix.tui.screens import ticket_list
    from tix.tui.widgets import ticket_table

    numbers = open_tickets(world, 12)
    change(world, numbers[0], status="closed")  # not in the list: not marked
    open_tickets(world, 2, channel="sales", actor="anna", owner="carl", subject="Other")
    monkeypatch.setattr(ticket_list, "PAGE", 3)  # so that most of them are not loaded
    monkeypatch.setattr(ticket_table, "NEAR_END", 0)
    app = make_app(backend=backend, poll_interval=0)
    async with app.run_test(size=(120, 16)) as pilot:
        await settle(pilot)
        table = _table(pilot.app)
        assert len(table.rows) < 11
        await pilot.press("asterisk")
        await settle(pilot)
        assert sorted(t.number for t in table.marks.values()) == sorted(numbers[1:])
        assert "11 marked" in text_of(pilot.app, "#filters")
        await pilot.press("minus")
        assert table.marks == {}
        assert "marked" not in text_of(pilot.app, "#filters")


async def test_bulk_note_and_owner_and_nothing_marked(
    app: TixApp, world: Any, tmp_path: Any
) -> None:
    first, second = open_tickets(world, 2)
    delivery = tmp_path / "delivery-note.txt"
    delivery.write_text("Delivery on Monday\n", encoding="utf-8")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(pilot.app.screen, type(list_screen(pilot.app)))
        assert any("Mark tickets first" in n.message for n in pilot.app._notifications)

        await pilot.press("asterisk")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await _choose(pilot, "note")
        compose = pilot.app.screen
        assert isinstance(compose, ComposeDialog)
        compose.query_one(TextArea).text = "Supplier confirmed Monday"
        compose.query_one("#compose-attachments", Input).value = str(delivery)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        summary = await _summary(pilot)
        assert all(r.ok for r in summary.results) and len(summary.results) == 2
        await pilot.press("enter")
        await settle(pilot)
        assert _table(pilot.app).marks == {}

        await pilot.press("asterisk")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await _choose(pilot, "owner")
        await _choose(pilot, "carl")
        await pilot.press("y")
        await _summary(pilot)
    for number in (first, second):
        assert _ticket(world, number).owner_id == world.carl
    from tix.core.services import tickets
    from tix.core.views import ticket_detail

    with session_scope(world.engine) as session:
        anna = world.user(session, "admin")
        detail = ticket_detail(
            session, anna, tickets.get_ticket(session, anna, first), backend_zone()
        )
        assert [a.body for a in detail.activities if a.kind == ActivityKind.NOTE] == [
            "Supplier confirmed Monday"
        ]
        for number in (first, second):
            files = tickets.get_ticket(session, anna, number)
            shown = ticket_detail(session, anna, files, backend_zone()).files
            assert [f.name for f in shown] == ["delivery-note.txt"]


def backend_zone() -> Any:
    from tix.core.timeutil import zone

    return zone("Europe/Berlin")


async def test_merge_keeps_a_wrong_number_typed_and_merges_into_the_target(
    app: TixApp, world: Any
) -> None:
    target, first, second = open_tickets(world, 3)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("asterisk")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await _choose(pilot, "merge")
        form = pilot.app.screen
        assert isinstance(form, FormDialog)
        form.query_one("#field-into", Input).value = "abc"
        await pilot.press("ctrl+s")
        await settle(pilot)
        again = pilot.app.screen
        assert isinstance(again, FormDialog)  # asked again, with what was typed
        assert again.query_one("#field-into", Input).value == "abc"
        again.query_one("#field-into", Input).value = f"#{target}"
        assert again.query_one("#field-other", Checkbox).value is False
        await pilot.press("ctrl+s")
        await settle(pilot)
        confirm = pilot.app.screen
        assert isinstance(confirm, ConfirmDialog)
        assert confirm.question == f"Merge into #{target} on 2 tickets?"  # not itself
        await pilot.press("y")
        summary = await _summary(pilot)
        assert sorted(r.number for r in summary.results) == sorted([first, second])
        assert all(r.ok for r in summary.results)
        await pilot.press("escape")
        await settle(pilot)
        assert _table(pilot.app).marks == {}
    target_id = _ticket(world, target).id
    for number in (first, second):
        merged = _ticket(world, number)
        assert merged.merged_into_id == target_id and merged.status == TicketStatus.CLOSED


async def test_the_palette_offers_the_bulk_actions(app: TixApp, world: Any) -> None:
    from tix.tui.commands import TixCommands

    open_tickets(world)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        provider = TixCommands(pilot.app.screen)
        names = [name for name, _action, _help in provider._commands()]
        assert {"Mark all that match", "Clear marks", "Bulk action…"} <= set(names)


# --- snapshots (the demo helpdesk, clock fixed, SQLite only) ---------------------------


def _bulk(*keys: str, summary: bool = False) -> Any:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("space", "space", "down", "space")
        await settle(pilot)
        if summary:  # the second marked ticket is changed by someone else meanwhile
            _change_as_ben(pilot.app, list(_table(pilot.app).marks.values())[1].number)
        await pilot.press(*keys)
        await settle(pilot)
        if summary:
            await _summary(pilot)
            await settle(pilot)
        for found in pilot.app.screen.query(Input):
            found.cursor_blink = False
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


def _change_as_ben(app: Any, number: int) -> None:
    from tix.core.services import tickets, users
    from tix.core.services.changes import change_ticket

    with session_scope(app.backend.engine, write=True) as session:
        ben = users.get_user(session, "ben")
        ticket = tickets.get_ticket(session, ben, number)
        change_ticket(session, ben, ticket=ticket, priority=1 if ticket.priority != 1 else 2)


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize(
    ("keys", "summary"),
    [(("b",), False), (("b", "down", "enter", "down", "down", "enter", "y"), True)],
    ids=["actions", "summary"],
)
def test_snapshot_of_bulk_actions(
    demo_snapshot: DemoSnapshot,
    size: tuple[int, int],
    keys: tuple[str, ...],
    summary: bool,
    language: str,
) -> None:
    assert demo_snapshot(size, language, _bulk(*keys, summary=summary))

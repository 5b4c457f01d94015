"""The ticket view: every tab and action driven like a user, checked in the database."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, TabbedContent

from tests.conftest import BACKENDS, World
from tests.tui.conftest import DemoSnapshot
from tests.tui.models import activity
from tix.core import clock
from tix.core.db import session_scope
from tix.core.models import Document, OutboxMessage
from tix.core.read_models import ActivityView, TicketDetail, WatcherView
from tix.tui.app import TixApp
from tix.tui.backend import Backend
from tix.tui.dialogs import (
    ComposeDialog,
    ConfirmDialog,
    FormDialog,
    PickDialog,
    split_paths,
)
from tix.tui.screens import ticket_view
from tix.tui.screens.ticket_view import TicketViewScreen
from tix.tui.widgets.activity import ActivityLog, describe

each_database = pytest.mark.parametrize("backend", BACKENDS, indirect=True)
"""On SQLite and PostgreSQL: the database kind handed to the ``backend`` fixtures."""


@pytest.fixture(autouse=True)
def _without_ticket_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app pushes the ticket list on mount; this screen is tested on its own."""
    if importlib.util.find_spec("tix.tui.screens.ticket_list") is None:
        monkeypatch.setattr(TixApp, "on_mount", lambda self: None)


# --- helpers --------------------------------------------------------------------------


async def settle(pilot: Pilot[Any]) -> None:
    """Let the workers (database calls) finish and their results land."""
    for _round in range(2):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_view(pilot: Pilot[Any], number: int) -> TicketViewScreen:
    screen = TicketViewScreen(number)
    await pilot.app.push_screen(screen)
    await settle(pilot)
    assert screen.detail is not None
    return screen


async def wait_until(pilot: Pilot[Any], condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the screen did not get there"
        await pilot.pause(0.01)


async def press(pilot: Pilot[Any], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*text)
    await pilot.pause()


def screen_text(app: App[Any]) -> str:
    """What the terminal shows, as text."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def notifications(app: App[Any]) -> list[str]:
    return [n.message for n in app._notifications]


def dialog(app: App[Any], kind: type[Any]) -> Any:
    assert isinstance(app.screen, kind), f"expected {kind.__name__}, got {app.screen!r}"
    return app.screen


# --- helpers without a screen -----------------------------------------------------------


def test_paths_dropped_on_the_terminal_are_told_apart(tmp_path: Path) -> None:
    spaced = tmp_path / "my offer.txt"
    spaced.write_text("offer")
    plain = tmp_path / "plain.txt"
    plain.write_text("plain")
    assert split_paths(f"'{spaced}'") == [str(spaced)]
    assert split_paths(str(spaced)) == [str(spaced)]  # unquoted, with a space
    assert split_paths(f"'{spaced}' {plain}") == [str(spaced), str(plain)]
    assert split_paths(str(spaced).replace(" ", "\\ ") + f"\n{plain}\n") == [
        str(spaced),
        str(plain),
    ]
    url = "file://" + str(spaced).replace(" ", "%20")
    assert split_paths(url) == [url]  # the backend decodes file:// URLs
    assert split_paths(f"'{plain}") == [str(plain)]  # an unbalanced quote
    assert split_paths("  ") == []


def test_records_read_as_one_line() -> None:
    from datetime import UTC

    change = activity(kind="change", field="status", old="open", new="waiting")
    assert describe(change, UTC) == "Status open → waiting"
    category = activity(kind="change", field="category", old=None, new="Pumpen")
    assert describe(category, UTC) == "category added: Pumpen"
    booked = activity(
        kind="time",
        author="bob",
        created_at="2026-11-27T10:00:00+01:00",
        body="Phone call",
        details={"minutes": 90, "date": "2026-11-26", "billable": False, "user": "bob"},
    )
    assert describe(booked, UTC) == "booked 1:30 h for 2026-11-26, not billable: Phone call"
    alarm = activity(
        kind="alarm",
        body="Call back",
        details={"for": "carl", "via": "mail", "due_at": "2026-11-29T15:25:00+00:00"},
    )
    assert describe(alarm, UTC) == "alarm for carl at 2026-11-29 15:25 by e-mail: Call back"
    files = activity(kind="file", details={"files": [{"name": "a.pdf", "size": 10}]})
    assert describe(files, UTC) == "added files: a.pdf (10 B)"
    document = activity(kind="document", body="AN-2026-0001: 80.00 EUR", details={"type": "quote"})
    assert describe(document, UTC) == "made Quote AN-2026-0001: 80.00 EUR"
    project = activity(kind="project", body="Pump upgrade", details={"project": "Pump upgrade"})
    assert describe(project, UTC) == "made project Pump upgrade"
    assert describe(activity(kind="watcher"), UTC) == "changed the watchers"
    watcher = activity(kind="watcher", field="watcher", old=None, new="group:Support")
    assert describe(watcher, UTC) == "watcher added: group Support"  # not the raw key


def test_blocks_mark_notes_mails_and_delivery_problems() -> None:
    from datetime import UTC

    from tix.tui.widgets.activity import ActivityStyles, activity_parts

    styles = ActivityStyles()
    note = {"kind": "note", "author": "bob", "created_at": "2026-11-27T10:00:00+01:00"}
    kind, parts = activity_parts(activity(**note, body="Secret"), styles, UTC)
    assert kind == "note" and "Internal note" in parts[0].plain and parts[-1].plain == "Secret"
    mail = activity(
        kind="reply",
        author="bob",
        direction="out",
        from_="Support <support@tix.test>",
        to=["kunde@example.com"],
        cc=["chef@example.com"],
        subject="Re: Pump",
        body="Hello",
        attachments=[
            {"id": 1, "name": "offer.pdf", "size": 2048, "content_type": "", "inline": False}
        ],
    )
    kind, parts = activity_parts(mail, styles, UTC, subject="Pump")
    texts = [part.plain for part in parts]
    assert texts[0].endswith("  sent")  # no outbox entry: sent before there was one
    assert texts[1] == (
        "From: Support <support@tix.test>  To: kunde@example.com  CC: chef@example.com"
    )
    assert texts[2:] == ["Hello", "Attachments: offer.pdf (2.0 KB)"]  # "Re:" is no news
    failed = activity(
        kind="delivery",
        author=None,
        body="550 no such user",
        details={"to": ["gone@example.com"]},
    )
    kind, parts = activity_parts(failed, styles, UTC)
    assert kind == "delivery" and "Not delivered" in parts[0].plain
    assert [part.plain for part in parts[1:]] == ["To: gone@example.com", "550 no such user"]
    kind, parts = activity_parts(activity(**note, id=7, body="x"), styles, UTC, pinned=True)
    assert len(parts) == 1 and "shown above" in parts[0].plain


def test_a_mails_header_says_how_the_outbox_has_it() -> None:
    """Queued, retrying (after how many attempts, and why), sent (when), not sent (the
    mark says why): never "mailed" for a mail that has not gone."""
    from tix.tui.widgets.activity import ActivityStyles, header_text

    def header(**delivery: Any) -> str:
        mail = activity(kind="reply", author="bob", direction="out", delivery=delivery)
        return header_text(mail, ActivityStyles()).plain

    queued = header(status="pending", error=None, attempts=0, sent_at=None)
    assert queued.endswith("queued, not sent yet")
    retrying = header(status="pending", error="451 try later", attempts=2, sent_at=None)
    assert retrying.endswith("retrying after 2 attempts: 451 try later")
    sent = header(status="sent", error=None, attempts=1, sent_at="2026-11-27T10:05:00+01:00")
    assert sent.endswith("sent 2026-11-27 10:05")
    failed = header(status="failed", error="550 no such user", attempts=1, sent_at=None)
    assert "not sent" in failed and "not delivered: 550 no such user" in failed
    assert "mailed" not in queued + retrying + sent + failed


# --- showing a ticket ----------------------------------------------------------------------


@each_database
async def test_the_view_shows_the_ticket_on_every_tab(app: TixApp, ticket: int) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_view(pilot, ticket)
        shown = screen_text(pilot.app)
        assert f"#{ticket} Pump" in shown and "Leaks" in shown
        assert screen.tab == "activities"
        assert isinstance(pilot.app.focused, ActivityLog)
        tabs = screen.query_one("#view-tabs", TabbedContent)
        for key, name in zip("123456", ticket_view.TABS, strict=True):
            await press(pilot, key)
            assert tabs.active == name and screen.tab == name
        await press(pilot, "1")
        assert screen.query_one("#edit-subject", Input).value == "Pump"
        assert "Karla Kunde <kunde@example.com>" in screen_text(pilot.app)
        await press(pilot, "escape")
        assert not isinstance(pilot.app.screen, TicketViewScreen)


@each_database
async def test_escape_leaves_the_view_and_asks_first_about_unsaved_details(
    app: TixApp, ticket: int
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_view(pilot, ticket)
        await press(pilot, "1")
        await pilot.click("#edit-subject")
        await type_text(pilot, " and valve")
        await press(pilot, "escape")
        dialog(pilot.app, ConfirmDialog)
        await press(pilot, "n")
        assert pilot.app.screen is screen
        await press(pilot, "escape")
        await press(pilot, "y")
        assert not isinstance(pilot.app.screen, TicketViewScreen)


@each_database
async def test_the_log_labels_automatic_mail_and_third_parties(
    app: TixApp, world: World, ticket: int
) -> None:
    from tests.core.mail.test_ingest import _ingest, mail

    tag = f"Re: [Ticket#{ticket}] Pump"
    _ingest(world, mail(sender="fremd@elsewhere.example", subject=tag, body="Me too"))
    _ingest(
        world, mail(subject=f"Out of office: {tag}", headers={"Auto-Submitted": "auto-replied"})
    )
    async with app.run_test(size=(100, 40)) as pilot:
        await open_view(pilot, ticket)
        shown = screen_text(pilot.app)
    stranger = next(line for line in shown.splitlines() if "fremd@elsewhere.example" in line)
    assert " from a third party " in stranger
    robot = next(line for line in shown.splitlines() if "automatic reply" in line)
    assert "kunde@example.com" in robot and "from a third party" not in robot


class CountedTicket:
    """``backend.ticket`` as it is, counting its calls; it waits for ``gate`` when one is
    given (a slow database)."""

    def __init__(self, backend: Backend, gate: threading.Event | None = None) -> None:
        self.real = backend.ticket
        self.calls = 0
        self.gate = gate
        backend.ticket = self  # type: ignore[method-assign]

    def __call__(self, number: int) -> TicketDetail:
        self.calls += 1
        if self.gate is not None:
            assert self.gate.wait(10)
        return self.real(number)


async def list_at_rest(pilot: Pilot[Any], counted: CountedTicket) -> None:
    """The list is up and has fetched its preview of the ticket; count from here."""
    await settle(pilot)
    await pilot.pause(0.3)
    await settle(pilot)
    counted.calls = 0


async def view_mounted(pilot: Pilot[Any]) -> TicketViewScreen:
    await wait_until(
        pilot,
        lambda: isinstance(pilot.app.screen, TicketViewScreen) and pilot.app.screen.is_mounted,
    )
    screen = pilot.app.screen
    assert isinstance(screen, TicketViewScreen)
    return screen


@each_database
async def test_opening_fetches_first_and_the_first_frame_shows_the_ticket(
    app: TixApp, backend: Backend, ticket: int
) -> None:
    counted = CountedTicket(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await list_at_rest(pilot, counted)
        before = len(pilot.app.screen_stack)
        ticket_view.open_ticket_view(pilot.app, ticket)
        ticket_view.open_ticket_view(pilot.app, ticket)  # a second Enter meanwhile
        screen = await view_mounted(pilot)
        assert screen.detail is not None and screen.detail.number == ticket  # at once
        await settle(pilot)
        assert f"#{ticket} Pump" in screen_text(pilot.app)
        assert len(pilot.app.screen_stack) == before + 1  # opened once
        assert counted.calls == 1  # the screen did not fetch it again
        assert pilot.app.opening_ticket is None


@each_database
async def test_a_slow_ticket_shows_the_screen_first_and_fills_it_when_it_comes(
    app: TixApp, backend: Backend, ticket: int
) -> None:
    counted = CountedTicket(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await list_at_rest(pilot, counted)
        gate = counted.gate = threading.Event()
        ticket_view.open_ticket_view(pilot.app, ticket)
        screen = await view_mounted(pilot)
        assert screen.detail is None
        await pilot.pause(0.1)
        assert screen.detail is None  # the screen does not fetch it a second time
        gate.set()
        await settle(pilot)
        assert screen.detail is not None and screen.detail.number == ticket
        assert f"#{ticket} Pump" in screen_text(pilot.app)
        assert counted.calls == 1


async def test_opening_a_ticket_that_is_not_there_tells_and_opens_nothing(
    app: TixApp, ticket: int
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        stack = list(pilot.app.screen_stack)
        ticket_view.open_ticket_view(pilot.app, 999_999)
        await settle(pilot)
        assert list(pilot.app.screen_stack) == stack
        assert any("no ticket #999999" in n for n in notifications(pilot.app))
        ticket_view.open_ticket_view(pilot.app, ticket)  # and the next open works
        await settle(pilot)
        assert isinstance(pilot.app.screen, TicketViewScreen)


async def test_a_slow_ticket_that_is_gone_closes_its_screen(
    app: TixApp, backend: Backend, ticket: int
) -> None:
    counted = CountedTicket(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await list_at_rest(pilot, counted)
        gate = counted.gate = threading.Event()
        stack = list(pilot.app.screen_stack)
        ticket_view.open_ticket_view(pilot.app, 999_999)
        await view_mounted(pilot)
        gate.set()
        await settle(pilot)
        assert list(pilot.app.screen_stack) == stack
        assert any("no ticket #999999" in n for n in notifications(pilot.app))


# --- activities ---------------------------------------------------------------------------


@each_database
async def test_reply_goes_out_by_mail(app: TixApp, backend: Backend, ticket: int) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_view(pilot, ticket)
        await press(pilot, "r")
        compose = dialog(pilot.app, ComposeDialog)
        assert compose.with_cc
        await type_text(pilot, "We send a new seal.")
        await pilot.click("#compose-cc")
        await type_text(pilot, "chef@example.com")
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is screen
    detail = backend.ticket(ticket)
    reply = detail.activities[-1]
    assert reply.kind == "reply" and reply.body == "We send a new seal."
    assert reply.cc == ["chef@example.com"]
    with session_scope(backend.engine) as session:
        mails = session.execute(select(OutboxMessage)).scalars().all()
        sent = [m for m in mails if "kunde@example.com" in m.mail_to]
        assert len(sent) == 1
        assert sent[0].mail_cc == ["chef@example.com"]
        assert "new seal" in sent[0].body


@each_database
async def test_note_stays_internal(app: TixApp, backend: Backend, ticket: int) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_view(pilot, ticket)
        await press(pilot, "n")
        compose = dialog(pilot.app, ComposeDialog)
        assert not compose.with_cc
        await type_text(pilot, "Customer is **grumpy**")
        await press(pilot, "f2")  # the Markdown preview, and back
        assert compose.previewing
        await press(pilot, "f2")
        await press(pilot, "ctrl+s")
        log = screen.query_one(ActivityLog)
        assert log.line_count > 0
    note = backend.ticket(ticket).activities[-1]
    assert note.kind == "note" and note.internal is True
    assert note.body == "Customer is **grumpy**"
    with session_scope(backend.engine) as session:
        mails = session.execute(select(OutboxMessage)).scalars().all()
        assert not [m for m in mails if "kunde@example.com" in m.mail_to]


@each_database
async def test_solution_solves_the_ticket(app: TixApp, backend: Backend, ticket: int) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_view(pilot, ticket)
        await press(pilot, "l")
        await type_text(pilot, "Seal replaced.")
        await press(pilot, "ctrl+s")
        assert screen.detail is not None and screen.detail.status == "solved"
        assert "solved  P5" in screen_text(pilot.app)
    detail = backend.ticket(ticket)
    assert detail.status == "solved"
    assert any(a.kind == "solution" for a in detail.activities)


@each_database
async def test_a_failed_reply_gives_the_text_back(
    app: TixApp, backend: Backend, ticket: int, tmp_path: Path
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "r")
        await type_text(pilot, "See attached.")
        await pilot.click("#compose-attachments")
        await type_text(pilot, str(tmp_path / "missing.pdf"))
        await press(pilot, "ctrl+s")
        assert any("missing.pdf" in text for text in notifications(pilot.app))
        compose = dialog(pilot.app, ComposeDialog)
        assert compose.body == "See attached."
        await press(pilot, "escape")
        dialog(pilot.app, ConfirmDialog)
        await press(pilot, "y")
        assert isinstance(pilot.app.screen, TicketViewScreen)
    assert [a.kind for a in backend.ticket(ticket).activities] == ["message"]


@each_database
async def test_status_channel_and_owner_from_the_pickers(
    app: TixApp, backend: Backend, ticket: int
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "s")
        dialog(pilot.app, PickDialog)
        await type_text(pilot, "wait")
        await press(pilot, "enter")
        await press(pilot, "c")
        await type_text(pilot, "Sales")
        await press(pilot, "enter")
        await press(pilot, "o")
        await type_text(pilot, "carl")
        await press(pilot, "enter")
        await press(pilot, "s")
        await press(pilot, "escape")  # picked nothing: nothing changes
    detail = backend.ticket(ticket)
    assert (detail.status, detail.channel, detail.owner) == ("waiting", "Sales", "carl")
    changes = [(a.field, a.new) for a in detail.activities if a.kind == "change"]
    assert changes == [("status", "waiting"), ("channel", "Sales"), ("owner", "carl")]


@each_database
async def test_details_tab_saves_only_what_changed(
    app: TixApp, backend: Backend, ticket: int
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_view(pilot, ticket)
        await press(pilot, "1")
        await pilot.click("#edit-subject")
        await pilot.press("home", "shift+end")
        await type_text(pilot, "Pump leaks at the seal")
        screen.query_one("#edit-priority").focus()
        await press(pilot, "enter", "down", "down", "enter")  # 5 -> 7
        screen.query_one("#edit-status").focus()
        await press(pilot, "enter", "down", "enter")  # open -> waiting
        await pilot.click("#edit-categories")
        await type_text(pilot, "Pumpen, Wartung")
        await press(pilot, "ctrl+s")
        assert screen.detail is not None and screen.detail.subject == "Pump leaks at the seal"
        assert screen.query_one("#edit-subject", Input).value == "Pump leaks at the seal"
        await press(pilot, "ctrl+s")
        assert "Nothing to save." in notifications(pilot.app)
    detail = backend.ticket(ticket)
    assert detail.subject == "Pump leaks at the seal"
    assert (detail.priority, detail.status) == (7, "waiting")
    assert detail.categories == ["Pumpen", "Wartung"]
    assert detail.owner == "bob" and detail.channel == "Support"  # untouched
    fields = sorted(a.field for a in detail.activities if a.kind == "change")
    assert fields == ["category", "category", "priority", "status", "subject"]


@each_database
async def test_a_change_behind_the_views_back_is_not_overwritten(
    app: TixApp, backend: Backend, world: World, ticket: int
) -> None:
    from tix.core.services import changes, tickets

    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_view(pilot, ticket)
        await press(pilot, "1")
        await pilot.click("#edit-subject")
        await pilot.press("home", "shift+end")
        await type_text(pilot, "Mine")
        with session_scope(world.engine, write=True) as session:
            changes.change_ticket(
                session,
                world.user(session, "admin"),
                ticket=tickets.get_ticket(session, world.user(session, "admin"), ticket),
                subject="Theirs",
                priority=8,
            )
        await press(pilot, "ctrl+s")
        assert "changed by someone else: reloaded" in notifications(pilot.app)
        assert screen.query_one("#edit-subject", Input).value == "Theirs"
        assert screen.detail is not None and screen.detail.priority == 8
    detail = backend.ticket(ticket)
    assert (detail.subject, detail.priority) == ("Theirs", 8)


# --- work records: time, documents, projects --------------------------------------------


@each_database
async def test_book_time_and_filter_it(app: TixApp, backend: Backend, ticket: int) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "t")
        dialog(pilot.app, FormDialog)
        await type_text(pilot, "1h30m")
        await press(pilot, "enter")
        await press(pilot, "3")
        await press(pilot, "t")
        await type_text(pilot, "20m")
        await press(pilot, "tab", "tab", "tab", "space")  # day, note, billable: off
        await press(pilot, "ctrl+s")
        assert "Total: 1:50 h in 2 entries" in screen_text(pilot.app)
        await press(pilot, "b")  # billable only
        assert "Total: 1:30 h in 1 entries" in screen_text(pilot.app)
    times = backend.ticket(ticket).times
    assert [(t.minutes, t.billable, t.user) for t in times] == [
        (90, True, "bob"),
        (20, False, "bob"),
    ]


@each_database
async def test_export_times_to_excel(
    app: TixApp, backend: Backend, ticket: int, tmp_path: Path
) -> None:
    import openpyxl

    backend.book_time(ticket, "2h", note="Repair")
    target = tmp_path / "times.xlsx"
    async with app.run_test(size=(80, 24)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "3")
        await press(pilot, "e")
        form = dialog(pilot.app, FormDialog)
        assert form.values()["path"] == f"~/tix-{ticket}-times.xlsx"
        await type_text(pilot, str(target))  # the default is selected: typing replaces it
        await press(pilot, "enter")
        assert any(str(target) in text for text in notifications(pilot.app))
    sheet = openpyxl.load_workbook(target).active
    assert sheet is not None
    assert any("Repair" in str(cell.value) for row in sheet.iter_rows() for cell in row)


@each_database
async def test_new_document_from_the_times(app: TixApp, backend: Backend, ticket: int) -> None:
    backend.book_time(ticket, "1h", note="Repair")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "d")
        dialog(pilot.app, FormDialog)
        await pilot.click("#field-lines")
        await type_text(pilot, "Seal kit;2;19,90")
        await press(pilot, "ctrl+s")
        assert any(text.startswith("Made ") for text in notifications(pilot.app))
    detail = backend.ticket(ticket)
    made = [a for a in detail.activities if a.kind == "document"]
    assert len(made) == 1 and made[0].details["type"] == "quote"
    with session_scope(backend.engine) as session:
        assert len(session.execute(select(Document)).scalars().all()) == 1


@each_database
async def test_new_project_from_the_ticket(app: TixApp, backend: Backend, ticket: int) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_view(pilot, ticket)
        await press(pilot, "P")
        dialog(pilot.app, FormDialog)
        await type_text(pilot, "Pump upgrade")
        await press(pilot, "enter")
        assert "Pump upgrade" in screen.choices.projects
    assert backend.ticket(ticket).project == "Pump upgrade"


# --- watchers, files, alarms ------------------------------------------------------------


@each_database
async def test_add_a_group_as_watcher_and_remove_it(
    app: TixApp, backend: Backend, ticket: int
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "4")
        await press(pilot, "a")
        dialog(pilot.app, PickDialog)
        await type_text(pilot, "Support")  # groups come first: Group: Support
        await press(pilot, "enter")
        assert WatcherView(group="Support") in backend.ticket(ticket).watchers
        table = pilot.app.focused
        assert isinstance(table, DataTable) and table.id == "watchers-table"
        await press(pilot, "down")  # the second row: the group
        assert table.cursor_row == 1
        await press(pilot, "x")
    watchers = backend.ticket(ticket).watchers
    assert WatcherView(group="Support") not in watchers and WatcherView(user="bob") in watchers


@each_database
async def test_add_save_and_open_a_file(
    app: TixApp,
    backend: Backend,
    ticket: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = tmp_path / "pump photo.txt"
    source.write_text("a photo, as text")
    saved = tmp_path / "saved"
    saved.mkdir()
    opened = tmp_path / "opened.txt"
    viewer = [
        sys.executable,
        "-c",
        f"import shutil, sys; shutil.copy(sys.argv[1], {str(opened)!r})",
    ]
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_view(pilot, ticket)
        await press(pilot, "5")
        await press(pilot, "a")
        dialog(pilot.app, FormDialog)
        await type_text(pilot, f"'{source}' ")  # dropped on the terminal: quoted
        await press(pilot, "enter")
        assert screen.detail is not None
        assert [f.name for f in screen.detail.files] == ["pump photo.txt"]
        table = screen.query_one("#files-table", DataTable)
        assert table.get_row_at(0)[-1] == "bob"  # By: who added it
        await press(pilot, "5")  # the table has a row now: focus it
        await press(pilot, "s")
        dialog(pilot.app, FormDialog)
        await type_text(pilot, str(saved))
        await press(pilot, "enter")
        assert (saved / "pump photo.txt").read_text() == "a photo, as text"

        monkeypatch.setattr(ticket_view, "system_opener", lambda: viewer)
        await press(pilot, "enter")  # open the selected file
        deadline = time.monotonic() + 10
        while not opened.exists() and time.monotonic() < deadline:
            await pilot.pause(0.1)
        assert opened.read_text() == "a photo, as text"

        monkeypatch.setattr(ticket_view, "system_opener", lambda: None)
        await press(pilot, "o")
        where = [text for text in notifications(pilot.app) if "saved to" in text]
        assert where, notifications(pilot.app)
        copy = Path(where[-1].split("saved to ", 1)[1].rstrip("."))
        assert copy.read_text() == "a photo, as text"
    assert [f.name for f in backend.ticket(ticket).files] == ["pump photo.txt"]


@each_database
async def test_add_an_alarm(app: TixApp, backend: Backend, ticket: int) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_view(pilot, ticket)
        await press(pilot, "6")
        await press(pilot, "a")
        form = dialog(pilot.app, FormDialog)
        assert form.values()["recipient"] == "bob" and form.values()["via"] == "app"
        await type_text(pilot, "tomorrow 9:00")
        await press(pilot, "enter")  # the description is missing: it asks for it
        assert pilot.app.screen is form
        assert isinstance(pilot.app.focused, Input) and pilot.app.focused.id == "field-note"
        await type_text(pilot, "Call the customer back")
        await press(pilot, "enter")
        assert pilot.app.screen is screen
    alarms = backend.ticket(ticket).alarms
    assert [(a.note, a.for_, a.via) for a in alarms] == [("Call the customer back", "bob", "app")]
    assert alarms[0].due_at.endswith(("+01:00", "+02:00"))  # shown in Berlin time


# --- the command palette -------------------------------------------------------------------


@each_database
async def test_the_palette_offers_the_tabs_actions(app: TixApp, ticket: int) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "ctrl+p")
        await type_text(pilot, "Reply")
        await pilot.pause(0.5)
        await press(pilot, "enter")
        dialog(pilot.app, ComposeDialog)


# --- a long ticket ---------------------------------------------------------------------------


class _LogApp(App[None]):
    CSS_PATH = str(Path(ticket_view.__file__).parent.parent / "tix.tcss")

    def compose(self) -> ComposeResult:
        yield ActivityLog(id="activity-log")


async def test_a_thousand_activities_are_one_widget() -> None:
    from datetime import UTC

    activities: list[ActivityView] = []
    for number in range(1000):
        kind = ("message", "reply", "note", "change", "time")[number % 5]
        activities.append(
            activity(
                id=number,
                kind=kind,
                author="bob",
                created_at="2026-11-27T10:00:00+01:00",
                body=f"Text {number}\n\nsecond paragraph",
                field="status",
                old="open",
                new="waiting",
                details={"minutes": 30, "date": "2026-11-27"},
            )
        )
    app = _LogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        log = app.query_one(ActivityLog)
        started = time.perf_counter()
        log.show(activities, zone=UTC, scroll_end=True)
        first_frame = time.perf_counter() - started
        assert not log.complete  # the rest follows, a chunk a frame
        await pilot.pause()
        assert log.line_count > 0 and log.scroll_y == log.max_scroll_y  # the newest, at once
        while not log.complete:
            await pilot.pause(0.02)
        took = time.perf_counter() - started
        await pilot.pause()
        assert log.line_count > 3000
        assert len(app.query("ActivityLog *")) == 0  # no child widgets, only lines
        assert log.scroll_y == log.max_scroll_y > 0
        print(f"1000 activities: first frame {first_frame * 1000:.0f} ms, all {took * 1000:.0f} ms")
        log.scroll_to(y=100, animate=False, immediate=True)
        top_line = log.render_line(0).text
        changed = activities[-1].model_copy(update={"body": "changed"})
        log.show([*activities[:-1], changed], zone=UTC)
        while not log.complete:
            await pilot.pause(0.02)
        assert log.render_line(0).text == top_line  # a reload keeps the place
        await pilot.resize_terminal(120, 40)
        while not log.complete:
            await pilot.pause(0.02)
        assert log.line_count > 2000  # wider: re-wrapped, all of it


# --- snapshots (the demo helpdesk, clock fixed, SQLite only) ---------------------------


SNAPSHOT_TICKET = 1026
"""A mail ticket with replies, notes, times, a watcher and an alarm."""
SNAPSHOT_FILES_TICKET = 1031
"""One with a file."""


def _open(number: int, *keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.app.push_screen(TicketViewScreen(number))
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)
        pilot.app.clear_notifications()
        # A relabelled tab ("Activities (13)") moves its underline after a short timer.
        await pilot.pause(0.1)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize(
    ("number", "key"),
    [
        (SNAPSHOT_TICKET, "1"),
        (SNAPSHOT_TICKET, "2"),
        (SNAPSHOT_TICKET, "3"),
        (SNAPSHOT_TICKET, "4"),
        (SNAPSHOT_FILES_TICKET, "5"),
        (SNAPSHOT_TICKET, "6"),
    ],
    ids=list(ticket_view.TABS),
)
@pytest.mark.parametrize("language", ["en", "de"])
def test_snapshot_of_each_tab(
    demo_snapshot: DemoSnapshot,
    size: tuple[int, int],
    number: int,
    key: str,
    language: str,
) -> None:
    """Every tab in both languages: one date format each, the key bar with 1–6, F5,
    Esc, the Details' category chips, the Times' period filter."""
    assert demo_snapshot(size, language, _open(number, key))


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_of_the_reply_dialog(
    demo_snapshot: DemoSnapshot, size: tuple[int, int], language: str
) -> None:
    """With To and BCC besides CC; a wrong BCC is marked and the text stays."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await _open(SNAPSHOT_TICKET)(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Guten Tag Frau Hartmann,")
        compose = pilot.app.screen
        assert isinstance(compose, ComposeDialog)
        compose.query_one("#compose-bcc", Input).value = "archiv@"
        await pilot.press("ctrl+s")  # refused: stays open, BCC marked
        await pilot.pause()
        compose.query_one("#compose-body").cursor_blink = False  # type: ignore[attr-defined]
        compose.query_one("#compose-bcc", Input).cursor_blink = False
        pilot.app.clear_notifications()
        await pilot.pause()

    assert demo_snapshot(size, language, run_before)


# --- the dialogs' rough edges ----------------------------------------------------------


@each_database
async def test_a_reply_goes_to_other_addresses_and_blind_copies(
    app: TixApp, backend: Backend, ticket: int
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_view(pilot, ticket)
        await press(pilot, "r")
        compose = dialog(pilot.app, ComposeDialog)
        assert compose.with_to_bcc
        await type_text(pilot, "The offer is attached.")
        await pilot.click("#compose-to")
        await type_text(pilot, "Einkauf <einkauf@example.com>")
        await pilot.click("#compose-bcc")
        await type_text(pilot, "archiv@example.com")
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is screen
    reply = backend.ticket(ticket).activities[-1]
    assert reply.kind == "reply" and reply.bcc == ["archiv@example.com"]
    with session_scope(backend.engine) as session:
        (mail,) = session.execute(select(OutboxMessage)).scalars().all()
        assert [a for a in mail.mail_to if "kunde@" in a] == []  # To: instead of the customer
        assert any("einkauf@example.com" in a for a in mail.mail_to)
        assert mail.mail_bcc == ["archiv@example.com"]


@each_database
async def test_a_wrong_address_keeps_the_reply_open_with_what_was_typed(
    app: TixApp, backend: Backend, ticket: int
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "r")
        compose = dialog(pilot.app, ComposeDialog)
        await type_text(pilot, "Hello")
        await pilot.click("#compose-bcc")
        await type_text(pilot, "a@example.com, no address")
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is compose  # still open
        bcc = compose.query_one("#compose-bcc", Input)
        assert bcc.has_class("-invalid") and bcc.has_focus
        assert bcc.value == "a@example.com, no address" and compose.body == "Hello"
        assert any("is not an e-mail address" in text for text in notifications(pilot.app))
        bcc.value = "a@example.com"
        await press(pilot, "ctrl+s")
        assert not isinstance(pilot.app.screen, ComposeDialog)
    assert backend.ticket(ticket).activities[-1].bcc == ["a@example.com"]


@each_database
async def test_a_wrong_entry_keeps_a_form_open_and_marks_the_field(
    app: TixApp, backend: Backend, ticket: int
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "t")
        form = dialog(pilot.app, FormDialog)
        await type_text(pilot, "an hour")
        await press(pilot, "enter")
        assert pilot.app.screen is form
        duration = form.query_one("#field-duration", Input)
        assert duration.has_class("-invalid") and duration.value == "an hour"
        duration.value = "1h"
        day = form.query_one("#field-day", Input)
        day.value = "someday"
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is form and day.has_class("-invalid")
        assert not duration.has_class("-invalid")
        day.value = "yesterday"
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is not form
    assert [t.minutes for t in backend.ticket(ticket).times] == [60]


# --- a reply's mail as the outbox has it -------------------------------------------------


def _send_through(world: World, smtp: Any) -> None:
    from tix.core.services import accounts, users

    with session_scope(world.engine, write=True) as session:
        accounts.update_account(
            session,
            users.get_user(session, "anna"),
            account=accounts.get_account(session, "support"),
            changes={"smtp_host": smtp.host, "smtp_port": smtp.port, "smtp_tls": "none"},
        )


async def _until_shown(pilot: Pilot[Any], text: str, seconds: float = 10) -> str:
    """What the screen shows once ``text`` is on it (the view reloads as it polls)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        shown = screen_text(pilot.app)
        if text in shown:
            return shown
        await pilot.pause(0.1)
    raise AssertionError(f"{text!r} not shown:\n{screen_text(pilot.app)}")


@each_database
async def test_a_replys_mail_shows_queued_retrying_and_sent_as_it_happens(
    app: TixApp, backend: Backend, world: World, ticket: int
) -> None:
    """Not "mailed" while it waits in the outbox: queued, then retrying with the
    server's reason, then sent with the time, each shown without reopening."""
    import asyncio

    from tests.servers import SmtpServer
    from tix.core.mail.delivery import deliver

    async with app.run_test(size=(120, 40)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "r")
        await type_text(pilot, "The seal is on its way.")
        await press(pilot, "ctrl+s")
        await _until_shown(pilot, "queued, not sent yet")
        with SmtpServer(tempfail_rcpt={"kunde@example.com"}) as refusing:
            _send_through(world, refusing)
            report = await asyncio.to_thread(deliver, world.engine)
        assert report.retrying == 1
        shown = await _until_shown(pilot, "retrying after 1 attempt: ")
        assert "451" in shown
        with SmtpServer() as smtp:
            _send_through(world, smtp)
            later = clock.now() + timedelta(hours=1)  # past the retry's wait
            report = await asyncio.to_thread(deliver, world.engine, now=later)
            assert report.sent == 1 and len(smtp.wait_for(1)) == 1
        reply = backend.ticket(ticket).activities[-1]
        assert reply.delivery is not None and reply.delivery.sent_at is not None
        sent = datetime.fromisoformat(reply.delivery.sent_at)
        await _until_shown(pilot, f"sent {sent:%Y-%m-%d %H:%M}")


@each_database
async def test_a_mail_the_server_refused_shows_not_sent_and_why(
    app: TixApp, backend: Backend, world: World, ticket: int
) -> None:
    import asyncio

    from tests.servers import SmtpServer
    from tix.core.mail.delivery import deliver

    async with app.run_test(size=(120, 40)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "r")
        await type_text(pilot, "Hello")
        await press(pilot, "ctrl+s")
        with SmtpServer(reject_rcpt={"kunde@example.com"}) as refusing:
            _send_through(world, refusing)
            report = await asyncio.to_thread(deliver, world.engine)
        assert report.failed == 1
        shown = await _until_shown(pilot, "not delivered: ")
        assert "  not sent  " in shown and "queued" not in shown and "550" in shown

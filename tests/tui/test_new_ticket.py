"""The new-ticket screen: each kind typed in like a user, on a real database."""

from __future__ import annotations

import importlib.util
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from textual import events
from textual.dom import DOMNode
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select, Tabs

from tests.conftest import BACKENDS
from tests.tui.conftest import DemoSnapshot
from tix.core.db import session_scope
from tix.core.models import Contact, OutboxMessage, Ticket
from tix.tui.app import TixApp
from tix.tui.backend import Backend
from tix.tui.screens.new_ticket import (
    ContactField,
    DiscardScreen,
    NewTicketScreen,
    split_last,
)
from tix.tui.widgets.editor import (
    MarkdownEditor,
    clean_path,
    dropped_files,
    preview_parser,
    split_paths,
)

each_database = pytest.mark.parametrize("backend", BACKENDS, indirect=True)
"""Runs a test on SQLite and on PostgreSQL. The ``backend`` fixture of tests/tui/conftest.py
overrides the root one (the database kind) without requesting it, so pytest does not
parametrize it by itself; parametrizing indirectly hands the kind to the root fixture."""


@pytest.fixture(autouse=True)
def _without_ticket_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app pushes the ticket list on mount; this screen is tested on its own, so while
    that module is still being written the app starts without it."""
    if importlib.util.find_spec("tix.tui.screens.ticket_list") is None:
        monkeypatch.setattr(TixApp, "on_mount", lambda self: None)


async def settle(pilot: Pilot[Any]) -> None:
    """Let workers (database calls, contact look-ups) finish and their results land."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_form(pilot: Pilot[Any], results: list[int | None]) -> NewTicketScreen:
    screen = NewTicketScreen()
    await pilot.app.push_screen(screen, results.append)
    await settle(pilot)
    return screen


async def type_into(pilot: Pilot[Any], selector: str, text: str) -> None:
    pilot.app.screen.query_one(selector).focus()
    await pilot.pause()
    await pilot.press(*text)


async def choose(pilot: Pilot[Any], selector: str, *keys: str) -> None:
    """Open a select box, move with ``keys``, take the option."""
    pilot.app.screen.query_one(selector).focus()
    await pilot.pause()
    await pilot.press("enter", *keys, "enter")
    await pilot.pause()


async def choose_kind(pilot: Pilot[Any], *keys: str) -> None:
    pilot.app.screen.query_one(Tabs).focus()
    await pilot.pause()
    await pilot.press(*keys)
    await pilot.pause()


def notifications(app: TixApp) -> list[str]:
    return [n.message for n in app._notifications]


def ticket_count(backend: Backend) -> int:
    with session_scope(backend.engine) as session:
        return int(session.execute(select(func.count()).select_from(Ticket)).scalar_one())


# --- helpers without a screen ---------------------------------------------------------------


def test_the_address_being_typed_is_the_last_one() -> None:
    assert split_last("a@b.de, kar") == ("a@b.de,", " kar")
    assert split_last('"Kunde, Karla" <k') == ("", '"Kunde, Karla" <k')
    assert split_last("kar") == ("", "kar")


def test_dropped_paths_are_read_as_a_terminal_pastes_them(tmp_path: Path) -> None:
    spaced = tmp_path / "my offer.txt"
    spaced.write_text("offer")
    plain = tmp_path / "plain.txt"
    plain.write_text("plain")
    assert clean_path(f"'{spaced}'") == str(spaced)
    assert clean_path(f"file://{str(spaced).replace(' ', '%20')}") == str(spaced)
    assert split_paths(f"{spaced}") == [str(spaced)]  # unquoted, with a space
    assert split_paths(f"'{spaced}' {plain}") == [str(spaced), str(plain)]
    assert split_paths(f"{str(spaced).replace(' ', chr(92) + ' ')}\n{plain}\n") == [
        str(spaced),
        str(plain),
    ]
    assert dropped_files(f"'{spaced}' ") == [str(spaced)]
    assert dropped_files("Hello, this is text") == []
    assert dropped_files(f"{plain} {tmp_path / 'missing.txt'}") == []


def test_the_preview_keeps_typed_line_breaks_as_the_mail_does() -> None:
    tokens = preview_parser().parse("Regards\nAnna")
    assert [child.type for child in tokens[1].children or []] == ["text", "hardbreak", "text"]


# --- creating each kind ---------------------------------------------------------------------


@each_database
async def test_internal_ticket_typed_in(app: TixApp, backend: Backend) -> None:
    results: list[int | None] = []
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_form(pilot, results)
        await choose_kind(pilot, "left")
        assert screen.kind == "internal"
        assert screen.focused is not None
        # users by login: anna, bob (me, the default), carl, dora
        await choose(pilot, "#owner", "down")
        await type_into(pilot, "#subject", "Spare pumps")
        await type_into(pilot, "#body", "Count **pumps**")
        await pilot.press("enter")
        await pilot.press(*"by Friday.")
        await choose(pilot, "#priority", "down", "down")
        await type_into(pilot, "#categories", "Lager, Pumpen")
        await pilot.press("ctrl+s")
        await settle(pilot)

        assert len(results) == 1 and isinstance(results[0], int)
        number = results[0]
        assert f"Opened ticket #{number}" in notifications(app)
        assert pilot.app.screen is not screen

    ticket = backend.ticket(number)
    assert (ticket.project, ticket.color) == (None, None)  # neither chosen
    assert ticket.kind == "internal"
    assert ticket.owner == "carl"
    assert ticket.creator == "bob"
    assert ticket.subject == "Spare pumps"
    assert ticket.priority == 7
    assert ticket.categories == ["Lager", "Pumpen"]
    assert ticket.first_message.body == "Count **pumps**\nby Friday."


@each_database
async def test_mail_ticket_queues_the_mail_with_copies_and_an_attachment(
    app: TixApp, backend: Backend, tmp_path: Path
) -> None:
    offer = tmp_path / "offer 2026.txt"
    offer.write_text("Pump P-100: 1200 EUR\n")
    results: list[int | None] = []
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_form(pilot, results)
        assert screen.kind == "mail"
        assert screen.query_one("#account", Select).value == "support"
        assert screen.query_one("#channel", Select).value == "Support"
        # the form opens in To
        assert isinstance(screen.focused, Input)
        assert screen.focused.parent is screen.query_one("#to", ContactField)
        await pilot.press(*"kun")
        await settle(pilot)
        await pilot.press("down", "enter")
        await type_into(pilot, "#cc Input", "chef@example.com")
        await type_into(pilot, "#bcc Input", "a@example.com, b@example.com")
        await type_into(pilot, "#subject", "Offer")
        await type_into(pilot, "#body", "Hello,")
        await pilot.press("enter", "enter", *"the **offer**.")
        # a file dropped on the terminal pastes its path, quoted
        screen.query_one("#attachments", Input).focus()
        await pilot.pause()
        pilot.app.post_message(events.Paste(f"'{offer}' "))
        await pilot.pause()
        assert screen.query_one("#attachments", Input).value == f"'{offer}' "
        await type_into(pilot, "#categories", "Angebot")
        await choose(pilot, "#priority", "up")
        await pilot.press("ctrl+s")
        await settle(pilot)
        number = results[0]
        assert isinstance(number, int)
        assert f"Opened ticket #{number}" in notifications(app)

    ticket = backend.ticket(number)
    assert ticket.kind == "mail"
    assert ticket.account == "support"
    assert ticket.channel == "Support"
    assert ticket.owner == "bob"
    assert ticket.priority == 4
    assert ticket.categories == ["Angebot"]
    assert ticket.customer.address == "kunde@example.com"
    first = ticket.first_message
    assert first.body == "Hello,\n\nthe **offer**."
    assert first.to == ["kunde@example.com"]
    assert first.cc == ["chef@example.com"]
    assert first.bcc == ["a@example.com", "b@example.com"]
    assert [a.name for a in first.attachments] == ["offer 2026.txt"]
    with session_scope(backend.engine) as session:
        queued = session.execute(select(OutboxMessage)).scalars().all()
        assert [(m.purpose, m.mail_to, m.mail_cc, m.mail_bcc) for m in queued] == [
            (
                "new",
                ["kunde@example.com"],
                ["chef@example.com"],
                ["a@example.com", "b@example.com"],
            )
        ]
        assert f"#{number}" in queued[0].subject


@each_database
async def test_request_ticket_for_a_new_customer(app: TixApp, backend: Backend) -> None:
    results: list[int | None] = []
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_form(pilot, results)
        await choose_kind(pilot, "right")
        assert screen.kind == "request"
        await type_into(pilot, "#customer Input", "nina@example.org")
        await type_into(pilot, "#customer-name", "Nina Neu")
        await type_into(pilot, "#subject", "Leak")
        await type_into(pilot, "#body", "Pump leaks oil.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        number = results[0]
        assert isinstance(number, int)

    ticket = backend.ticket(number)
    assert ticket.kind == "request"
    assert ticket.channel == "Support"
    assert ticket.owner == "bob"
    assert ticket.priority == 5
    assert ticket.customer.address == "nina@example.org"
    assert ticket.customer.name == "Nina Neu"
    assert ticket.first_message.body == "Pump leaks oil."
    with session_scope(backend.engine) as session:
        assert session.execute(select(func.count()).select_from(Contact)).scalar_one() == 2


# --- completion ------------------------------------------------------------------------------


@each_database
async def test_contact_completion_offers_matching_contacts(app: TixApp) -> None:
    results: list[int | None] = []
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_form(pilot, results)
        to = screen.query_one("#to", ContactField)
        await pilot.press(*"kun")
        await settle(pilot)
        offered = to.query_one(OptionList)
        assert to.is_open and offered.display
        assert [
            str(offered.get_option_at_index(i).prompt) for i in range(offered.option_count)
        ] == ["Karla Kunde <kunde@example.com>"]
        # the grey inline suggestion completes the address; Right takes it
        assert to.input._suggestion == "kunde@example.com"
        await pilot.press("right")
        assert to.value == "kunde@example.com"
        # the last of several addresses is completed; the ones before stay
        await pilot.press(*", kar")
        await settle(pilot)
        assert to.input._suggestion == "kunde@example.com, karla Kunde <kunde@example.com>"
        await pilot.press("right")
        assert to.value == "kunde@example.com, Karla Kunde <kunde@example.com>"
        await pilot.press(*", karl")
        await settle(pilot)
        await pilot.press("down", "enter")
        assert to.value == (
            "kunde@example.com, Karla Kunde <kunde@example.com>, Karla Kunde <kunde@example.com>, "
        )
        assert not to.is_open
        # Escape closes the offer without leaving the form
        await pilot.press(*"kun")
        await settle(pilot)
        assert to.is_open
        await pilot.press("escape")
        await pilot.pause()
        assert not to.is_open
        assert pilot.app.screen is screen and results == []


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("#subject", "", "Give the ticket a subject."),
        ("#to Input", "kunde@", "is not an e-mail address"),
        ("#attachments", "/nonexistent/offer.pdf", "no file /nonexistent/offer.pdf"),
    ],
    ids=["no-subject", "bad-address", "missing-file"],
)
@each_database
async def test_bad_input_is_reported_and_creates_nothing(
    app: TixApp, backend: Backend, field: str, text: str, expected: str
) -> None:
    results: list[int | None] = []
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_form(pilot, results)
        good = {
            "#to Input": "kunde@example.com",
            "#subject": "Your offer",
            "#attachments": "",
        }
        good[field] = text
        for selector, value in good.items():
            if value:
                await type_into(pilot, selector, value)
        await type_into(pilot, "#body", "Hello")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any(expected in message for message in notifications(app)), notifications(app)
        assert pilot.app.screen is screen
        assert results == []
        assert not screen.busy
    assert ticket_count(backend) == 0


# --- cancelling ------------------------------------------------------------------------------


@each_database
async def test_escape_on_an_empty_form_cancels(app: TixApp, backend: Backend) -> None:
    results: list[int | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot, results)
        await pilot.press("escape")
        await pilot.pause()
        assert results == [None]
    assert ticket_count(backend) == 0


@each_database
async def test_escape_after_typing_asks_first(app: TixApp, backend: Backend) -> None:
    results: list[int | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form(pilot, results)
        await type_into(pilot, "#subject", "Half a thought")
        await pilot.press("escape")
        await pilot.pause()
        asking = pilot.app.screen
        assert isinstance(asking, DiscardScreen)
        await pilot.press("escape")  # keep editing
        await pilot.pause()
        assert pilot.app.screen is screen
        assert screen.query_one("#subject", Input).value == "Half a thought"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.click("#discard")
        await pilot.pause()
        assert results == [None]
    assert ticket_count(backend) == 0


# --- the form itself -------------------------------------------------------------------------


@each_database
async def test_fields_are_visited_in_order(app: TixApp) -> None:
    results: list[int | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form(pilot, results)
        visited = []
        for _step in range(14):
            focused = screen.focused
            assert focused is not None
            node: DOMNode = focused
            while not node.id and node.parent is not None:
                node = node.parent
            visited.append(node.id)
            # a focused field at 80×24 has been scrolled into view
            assert focused.region.height > 0
            await pilot.press("tab")
        assert visited == [
            "to", "cc", "bcc", "owner", "subject", "body", "attachments", "categories",
            "priority", "project", "color", "create", "cancel", "kind",
        ]  # fmt: skip


@each_database
async def test_dropping_files_on_the_text_attaches_them(app: TixApp, tmp_path: Path) -> None:
    plan = tmp_path / "site plan.pdf"
    plan.write_bytes(b"%PDF-1.4")
    results: list[int | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_form(pilot, results)
        editor = screen.query_one(MarkdownEditor)
        editor.focus()
        await pilot.pause()
        pilot.app.post_message(events.Paste(f"file://{str(plan).replace(' ', '%20')}"))
        await pilot.pause()
        assert editor.text == ""
        assert split_paths(screen.query_one("#attachments", Input).value) == [str(plan)]
        assert any("site plan.pdf" in message for message in notifications(app))
        # other text pastes as text
        pilot.app.post_message(events.Paste("just words"))
        await pilot.pause()
        assert editor.text == "just words"


@each_database
@pytest.mark.parametrize("width", [80, 120])
async def test_preview_renders_the_markdown(app: TixApp, width: int) -> None:
    results: list[int | None] = []
    async with app.run_test(size=(width, 40)) as pilot:
        screen = await open_form(pilot, results)
        editor = screen.query_one(MarkdownEditor)
        editor.focus()
        await pilot.press(*"# Offer", "enter", *"- one")
        preview = editor.query_one(".editor-preview")
        if width >= 120:  # side by side, rendered as one types
            assert editor.has_class("-side-by-side") and preview.display
            await pilot.pause(0.4)
        else:  # F2 shows the preview instead of the text, and back
            assert not editor.has_class("-side-by-side")
            await pilot.press("f2")
            await pilot.pause(0.1)
            assert editor.has_class("-previewing")
            assert not editor.text_area.display
        await editor.update_preview()
        await pilot.pause()
        assert editor.preview.source == "# Offer\n- one"
        assert editor.preview.query("MarkdownH1")
        await pilot.press("f2")
        await pilot.pause()
        assert not editor.has_class("-previewing") and not editor.has_class("-side-by-side")
        assert editor.text_area.has_focus


# --- snapshots -------------------------------------------------------------------------------


def _mail_form(kind_body: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.app.push_screen(NewTicketScreen())
        await settle(pilot)
        await pilot.press(*"krue")
        await settle(pilot)
        await pilot.press("down", "enter")
        await type_into(pilot, "#subject", "Angebot Ersatzpumpe")
        screen = pilot.app.screen
        editor = screen.query_one(MarkdownEditor)
        editor.text = kind_body
        editor.focus()
        await editor.update_preview()
        await settle(pilot)
        await type_into(pilot, "#categories", "Angebot")
        await settle(pilot)
        editor.text_area.cursor_blink = False  # the image must not catch the blink's off phase
        editor.focus()
        await pilot.pause()

    return run_before


SNAPSHOT_BODY = (
    "# Angebot\n\nGuten Tag Herr Krüger,\n\nwie besprochen:\n\n"
    "- Pumpe **P-100**\n- Dichtungssatz\n\nMit freundlichen Grüßen\nAnna Berger"
)


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_mail_form_snapshot(
    demo_snapshot: DemoSnapshot,
    size: tuple[int, int],
    language: str,
) -> None:
    """The form with its project and color (below the fold at 80x24)."""
    assert demo_snapshot(size, language, _mail_form(SNAPSHOT_BODY), poll_interval=60)


@each_database
async def test_project_and_color_are_chosen_in_the_form(
    app: TixApp, backend: Backend, world: Any
) -> None:
    from tix.core.services import projects, users

    with session_scope(world.engine, write=True) as session:
        projects.add_project(session, users.get_user(session, "anna"), name="Hall 7")
    results: list[int | None] = []
    async with app.run_test(size=(100, 40)) as pilot:
        await open_form(pilot, results)
        await choose_kind(pilot, "left")
        await type_into(pilot, "#subject", "Crane stuck")
        await choose(pilot, "#project", "down")  # the first project
        await choose(pilot, "#color", "down")  # red, the first color
        await pilot.press("ctrl+s")
        await settle(pilot)
    (number,) = results
    assert isinstance(number, int)
    ticket = backend.ticket(number)
    assert (ticket.project, ticket.color) == ("Hall 7", "red")

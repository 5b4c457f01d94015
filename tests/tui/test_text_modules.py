"""Text modules in the editors (F3 or ``::`` opens a fuzzy picker that inserts the
filled-in text at the cursor) and the signature in the compose preview."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Markdown, TextArea

from tests.conftest import BACKENDS
from tests.tui.conftest import DemoSnapshot
from tests.tui.test_new_ticket import type_into
from tests.tui.test_ticket_view import (
    SNAPSHOT_TICKET,
    dialog,
    notifications,
    open_view,
    press,
    settle,
    type_text,
)
from tix.core.db import session_scope
from tix.core.models import TextModule
from tix.core.services import signatures, text_modules
from tix.tui.app import TixApp
from tix.tui.backend import Backend
from tix.tui.dialogs import ComposeDialog
from tix.tui.screens.new_ticket import NewTicketScreen
from tix.tui.widgets.editor import MarkdownEditor
from tix.tui.widgets.text_modules import TextModuleArea, TextModuleContext, TextModulePicker

each_database = pytest.mark.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def modules(world: Any) -> None:
    """A global greeting (English and German), Support's RMA text and Sales' offer."""
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        for name, body, channel, language in (
            ("greeting", "Hello {{ customer.first_name }},", None, "en"),
            ("greeting", "Hallo {{ customer.first_name }},", None, "de"),
            ("rma", "Send the part with Ticket#{{ ticket.number }} on it.", "support", None),
            ("offer", "Your offer follows.", "sales", None),
        ):
            text_modules.add_text_module(
                session,
                admin,
                name=name,
                body=body,
                channel=world.channel(session, channel) if channel else None,
                language=language,
            )


def _body(app: Any) -> TextArea:
    return app.screen.query_one("#compose-body", TextArea)


def _shown(picker: TextModulePicker) -> list[str]:
    return [choice.name for choice in picker.shown]


@each_database
async def test_typing_two_colons_opens_the_picker_and_inserts_at_the_cursor(
    app: TixApp, backend: Backend, ticket: int, modules: None
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "r")
        await type_text(pilot, "Thanks. ")
        await press(pilot, "home")  # the module goes where the cursor is
        await type_text(pilot, "::")
        await settle(pilot)
        picker = dialog(pilot.app, TextModulePicker)
        # bob works in Support: the global modules and Support's, not Sales'
        assert sorted(_shown(picker)) == ["greeting", "rma"]
        await type_text(pilot, "gre")
        assert _shown(picker) == ["greeting"]
        await press(pilot, "enter")
        compose = dialog(pilot.app, ComposeDialog)
        assert compose.body == "Hello Karla,Thanks. "
        assert _body(pilot.app).has_focus
        await press(pilot, "ctrl+s")
    assert backend.ticket(ticket).activities[-1].body == "Hello Karla,Thanks. "


async def test_f3_opens_the_picker_and_a_channel_module_is_filled_in(
    app: TixApp, ticket: int, modules: None
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "n")
        await press(pilot, "f3")
        picker = dialog(pilot.app, TextModulePicker)
        await type_text(pilot, "rma")
        await press(pilot, "enter")
        assert dialog(pilot.app, ComposeDialog).body == (
            f"Send the part with Ticket#{ticket} on it."
        )
        assert picker not in pilot.app.screen_stack


async def test_colons_inside_a_word_stay_text_and_escape_gives_them_back(
    app: TixApp, ticket: int, modules: None
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "r")
        await type_text(pilot, "see a::b")
        await settle(pilot)
        dialog(pilot.app, ComposeDialog)
        await type_text(pilot, " ::")
        await settle(pilot)
        dialog(pilot.app, TextModulePicker)
        await press(pilot, "escape")
        assert dialog(pilot.app, ComposeDialog).body == "see a::b ::"


async def test_a_text_that_cannot_be_filled_in_is_a_notification_and_the_dialog_stays(
    app: TixApp, world: Any, ticket: int
) -> None:
    with session_scope(world.engine, write=True) as session:
        # Written by hand (as an older tix or a direct import might have): no check ran.
        session.add(TextModule(name="broken", body="Hi {{ customer.nmae }}"))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "r")
        await type_text(pilot, "Keep me")
        await press(pilot, "f3", "enter")
        compose = dialog(pilot.app, ComposeDialog)
        assert compose.body == "Keep me"
        assert any("customer.nmae" in message for message in notifications(pilot.app))


async def test_without_text_modules_the_key_says_how_to_add_one(app: TixApp, ticket: int) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await open_view(pilot, ticket)
        await press(pilot, "r", "f3")
        await type_text(pilot, "a ::")
        await settle(pilot)
        assert dialog(pilot.app, ComposeDialog).body == "a ::"
        assert any("tix template add" in message for message in notifications(pilot.app))


async def test_the_reply_preview_shows_the_signature_and_a_note_has_none(
    app: TixApp, world: Any, ticket: int
) -> None:
    with session_scope(world.engine, write=True) as session:
        signatures.set_signature(
            session,
            world.user(session, "admin"),
            signatures.SignatureOwner(channel=world.channel(session, "support")),
            body="ACME {{ channel.name }} · {{ agent.name }}",
        )
    async with app.run_test(size=(100, 30)) as pilot:
        await open_view(pilot, ticket)
        for key, signed in (("r", True), ("n", False)):
            await press(pilot, key)
            await type_text(pilot, "Done.")
            await press(pilot, "f2")
            preview = pilot.app.screen.query_one("#compose-preview", Markdown)
            assert (preview.source == "Done.\n\n-- \nACME Support · Bob Support\n") is signed
            if not signed:
                assert preview.source == "Done."
            await press(pilot, "f2", "escape", "y")


async def test_the_new_ticket_editor_inserts_modules_and_previews_the_signature(
    app: TixApp, world: Any, modules: None
) -> None:
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        signatures.set_signature(
            session, bob, signatures.SignatureOwner(user=bob), body="Cheers, {{ agent.first_name }}"
        )
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.app.push_screen(NewTicketScreen())
        await settle(pilot)
        await type_into(pilot, "#to Input", "kunde@example.com")
        editor = pilot.app.screen.query_one(MarkdownEditor)
        editor.focus()
        await type_text(pilot, "::")
        await settle(pilot)
        await type_text(pilot, "greet")
        await press(pilot, "enter")
        assert editor.text == "Hello Karla,"
        assert isinstance(editor.text_area, TextModuleArea)
        await editor.update_preview()
        assert editor.signature == "Cheers, Bob"
        assert editor.preview.source == "Hello Karla,\n\n-- \nCheers, Bob\n"


# --- snapshots -----------------------------------------------------------------------------


def _picker(backend: Backend, *typed: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        # The modules a reply on the snapshot ticket offers, the picker alone on the
        # screen: what is under it is other screens' snapshots' business.
        choices = backend.text_modules(TextModuleContext(number=SNAPSHOT_TICKET))
        await pilot.app.push_screen(TextModulePicker(choices))
        await settle(pilot)
        if typed:
            await pilot.press(*typed)
            await settle(pilot)
        picker = pilot.app.screen
        assert isinstance(picker, TextModulePicker)
        picker.query_one(Input).cursor_blink = False
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("typed", [(), tuple("rück")], ids=["all", "filtered"])
def test_snapshot_of_the_picker(
    demo_snapshot: DemoSnapshot,
    demo_backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
    typed: tuple[str, ...],
    language: str,
) -> None:
    monkeypatch.setattr(TixApp, "on_mount", lambda self: None)  # no ticket list under it
    assert demo_snapshot(size, language, _picker(demo_backend, *typed))

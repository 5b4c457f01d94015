"""Open a new ticket ("Ein neues Ticket erstellen"): internal, mail or request (phone).

One form for the three kinds; a row shows for the kinds it belongs to. The screen is
dismissed with the new ticket's number, or ``None`` when cancelled. Every question to
the database (the select boxes, creating the ticket) runs through
:meth:`TixApp.background`; contact completion runs its look-up in a thread as well.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Callable, Sequence
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events, on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import (
    Button,
    Header,
    Input,
    Label,
    OptionList,
    Select,
    Static,
    Tab,
    Tabs,
)

from tix.core.errors import TixError
from tix.core.i18n import _
from tix.core.labels import color_label
from tix.core.validation import COLORS, separator_positions, split_addresses, split_names
from tix.tui.app import TixApp
from tix.tui.backend import Choices
from tix.tui.widgets.activity import COLOR_MARKS
from tix.tui.widgets.editor import MarkdownEditor, split_paths
from tix.tui.widgets.footer import KeyBar
from tix.tui.widgets.text_modules import TextModuleContext, TextModuleHost

KINDS = ("internal", "mail", "request")
SUGGEST_DELAY = 0.15
"""Seconds of quiet typing before contacts are looked up."""

# --- addresses ------------------------------------------------------------------------


def split_last(text: str) -> tuple[str, str]:
    """``(everything before the last address, the last address)``."""
    positions = separator_positions(text)
    if not positions:
        return "", text
    cut = positions[-1] + 1
    return text[:cut], text[cut:]


# --- contact completion -------------------------------------------------------------


class ContactSuggester(Suggester):
    """Completes the last address of an input from the contacts.

    Textual runs suggesters on the event loop, so the database look-up runs in a thread
    (``asyncio.to_thread``); a short pause first skips look-ups while the user types on.
    """

    def __init__(self, field: ContactField) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.field = field

    async def get_suggestion(self, value: str) -> str | None:
        await asyncio.sleep(SUGGEST_DELAY)
        if self.field.input.value != value:
            return None
        lead, query = self.field.split(value)
        matches: list[str] = []
        if len(query) >= 2 and ">" not in query:
            try:
                matches = await asyncio.to_thread(self.field.lookup, query)
            except Exception:  # completion is a convenience: a failed look-up offers nothing
                matches = []
        if self.field.input.value != value:
            return None
        self.field.show_matches(matches)
        return self.field.inline_suggestion(value, lead, query, matches)


class ContactInput(Input):
    """An address input; Down/Up walk the offered contacts, Enter takes one."""

    BINDINGS = [  # noqa: RUF012
        Binding("down", "next_match", show=False),
        Binding("up", "previous_match", show=False),
        Binding("enter", "choose_match", show=False),
    ]

    @property
    def field(self) -> ContactField:
        parent = self.parent
        assert isinstance(parent, ContactField)
        return parent

    def action_next_match(self) -> None:
        if not self.field.is_open:
            raise SkipAction()
        self.field.completions.action_cursor_down()

    def action_previous_match(self) -> None:
        if not self.field.is_open:
            raise SkipAction()
        self.field.completions.action_cursor_up()

    async def action_choose_match(self) -> None:
        field = self.field
        index = field.completions.highlighted
        if field.is_open and index is not None:
            field.choose(str(field.completions.get_option_at_index(index).prompt))
        else:
            await self.action_submit()

    async def _on_key(self, event: events.Key) -> None:
        # Escape closes the offered contacts; a binding would hide "esc Cancel" in the footer.
        if event.key == "escape" and self.field.is_open:
            event.stop()
            event.prevent_default()
            self.field.close()
            return
        await super()._on_key(event)

    def action_cursor_right(self, select: bool = False) -> None:
        # Taking the grey inline suggestion: with the contact's own spelling.
        proper = self.field.accept_as.get(self._suggestion)
        if not select and self.cursor_at_end and proper is not None:
            self.value = proper
            self.cursor_position = len(proper)
            return
        super().action_cursor_right(select)


class _Completions(OptionList, can_focus=False):
    """The contacts offered for the address being typed (focus stays in the input)."""


class ContactField(Vertical):
    """An address input with contact completion; ``several``: comma-separated addresses,
    the last one is completed."""

    def __init__(
        self,
        lookup: Callable[[str], list[str]],
        *,
        several: bool,
        placeholder: str = "",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.lookup = lookup
        """Blocking: ``text -> ["Name <address>", ...]``; called in a thread."""
        self.several = several
        self.accept_as: dict[str, str] = {}
        """Inline suggestion -> what taking it writes (the contact's own spelling)."""
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        yield ContactInput(
            placeholder=self._placeholder, suggester=ContactSuggester(self), compact=True
        )
        yield _Completions(markup=False, compact=True)

    @property
    def input(self) -> ContactInput:
        return self.query_one(ContactInput)

    @property
    def completions(self) -> OptionList:
        return self.query_one(_Completions)

    @property
    def value(self) -> str:
        return self.input.value

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def split(self, value: str) -> tuple[str, str]:
        """``(the text before the address being typed, that address)``."""
        last = split_last(value)[1] if self.several else value
        query = last.strip()
        lead = value[: len(value) - len(last.lstrip())] if query else value
        return lead, query

    def show_matches(self, matches: Sequence[str]) -> None:
        self.completions.set_options(matches)
        self.set_class(bool(matches) and self.input.has_focus, "-open")

    def close(self) -> None:
        self.remove_class("-open")

    def inline_suggestion(
        self, value: str, lead: str, query: str, matches: Sequence[str]
    ) -> str | None:
        """The grey text after the cursor: a contact whose name or address starts with
        what was typed (taking it writes the contact's own spelling)."""
        self.accept_as.clear()
        if not value.endswith(query):
            return None
        folded = query.casefold()
        for match in matches:
            for candidate in (match, parseaddr(match)[1]):
                if len(candidate) > len(query) and candidate.casefold().startswith(folded):
                    suggestion = value + candidate[len(query) :]
                    self.accept_as[suggestion] = lead + candidate
                    return suggestion
        return None

    def choose(self, match: str) -> None:
        lead, _query = self.split(self.input.value)
        value = lead + match + (", " if self.several else "")
        self.close()
        self.input.value = value
        self.input.cursor_position = len(value)
        self.input.focus()

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.choose(str(event.option.prompt))

    @on(Input.Blurred)
    def _left(self, event: Input.Blurred) -> None:
        self.close()


class ListSuggester(Suggester):
    """Completes the last comma-separated name from a list (the known categories)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.names: list[str] = []

    async def get_suggestion(self, value: str) -> str | None:
        _head, _comma, last = value.rpartition(",")
        typed = last.lstrip()
        if not typed:
            return None
        for name in self.names:
            if len(name) > len(typed) and name.casefold().startswith(typed.casefold()):
                return value + name[len(typed) :]
        return None


# --- the screens ----------------------------------------------------------------------


class DiscardScreen(ModalScreen[bool]):
    """Asks before throwing away what was typed."""

    BINDINGS = [Binding("escape", "keep", _("Keep editing"))]  # noqa: RUF012

    def compose(self) -> ComposeResult:
        with Vertical(id="discard-dialog"):
            yield Static(_("Discard this new ticket? What you typed is lost."))
            with Horizontal(id="discard-buttons"):
                yield Button(_("Keep editing"), id="keep", variant="primary", compact=True)
                yield Button(_("Discard"), id="discard", variant="error", compact=True)

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    @on(Button.Pressed, "#keep")
    def action_keep(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#discard")
    def _discard(self) -> None:
        self.dismiss(True)


def _priority_label(value: int) -> str:
    if value == 1:
        return _("1 (low)")
    if value == 5:
        return _("5 (normal)")
    if value == 9:
        return _("9 (very high)")
    return str(value)


class NewTicketScreen(TextModuleHost, Screen[int | None]):
    """The form for a new ticket; dismissed with its number, or ``None``. F3 or ``::`` in
    the message inserts a text module; a mail's preview shows the signature it gets."""

    BINDINGS = [  # noqa: RUF012
        Binding("ctrl+s", "create", _("Create"), priority=True),
        Binding("escape", "cancel", _("Cancel")),
    ]

    def __init__(self, kind: str = "mail") -> None:
        super().__init__()
        self.kind = kind if kind in KINDS else "mail"
        self.busy = False
        """A create is running: a second Ctrl+S or Escape waits for it."""
        self._result: int | None = None
        self._choices = Choices()
        self._categories = ListSuggester()
        self.title = _("New ticket")
        self.set_class(True, f"-{self.kind}")

    @property
    def tix(self) -> TixApp:
        app = self.app
        assert isinstance(app, TixApp)
        return app

    # --- building the form ----------------------------------------------------------

    def _row(self, label: str, field: Widget, kinds: str, *, classes: str = "") -> Horizontal:
        tags = " ".join(f"-{kind}" for kind in kinds.split())
        return Horizontal(
            Label(label, classes="label"), field, classes=f"row {tags} {classes}".strip()
        )

    def compose(self) -> ComposeResult:
        backend = self.tix.backend
        lookup = backend.contacts_matching
        several = _("name or address; several: comma-separated")
        yield Header()
        with VerticalScroll(id="new-form", can_focus=False):
            yield self._row(
                _("Kind"),
                Tabs(
                    Tab(_("Internal"), id="internal"),
                    Tab(_("Mail"), id="mail"),
                    Tab(_("Request (phone)"), id="request"),
                    active=self.kind,
                    id="kind",
                ),
                "internal mail request",
                classes="kind-row",
            )
            yield self._row(
                _("From"),
                Select[str]([], prompt=_("Choose an account"), id="account", compact=True),
                "mail",
            )
            yield self._row(
                _("Channel"),
                Select[str]([], prompt=_("Choose a channel"), id="channel", compact=True),
                "mail request",
            )
            yield self._row(
                _("To"), ContactField(lookup, several=True, placeholder=several, id="to"), "mail"
            )
            yield self._row(
                _("CC"), ContactField(lookup, several=True, placeholder=several, id="cc"), "mail"
            )
            yield self._row(
                _("BCC"), ContactField(lookup, several=True, placeholder=several, id="bcc"), "mail"
            )
            yield self._row(
                _("Customer"),
                ContactField(
                    lookup,
                    several=False,
                    placeholder=_("name or address of the customer"),
                    id="customer",
                ),
                "request",
            )
            yield self._row(
                _("Name"),
                Input(placeholder=_("only for a new customer"), id="customer-name", compact=True),
                "request",
            )
            yield self._row(
                _("Owner"),
                Select[str]([], prompt=_("Choose the owner"), id="owner", compact=True),
                "internal mail request",
            )
            yield self._row(
                _("Subject"),
                Input(
                    placeholder=_("what it is about, in a few words"), id="subject", compact=True
                ),
                "internal mail request",
            )
            yield self._row(
                _("Message"),
                MarkdownEditor(accept_files=True, id="body"),
                "internal mail request",
                classes="editor-row",
            )
            yield self._row(
                _("Attachments"),
                Input(
                    placeholder=_("paths of files, or drop files here"),
                    id="attachments",
                    compact=True,
                ),
                "internal mail request",
            )
            yield self._row(
                _("Categories"),
                Input(
                    placeholder=_("comma-separated"),
                    suggester=self._categories,
                    id="categories",
                    compact=True,
                ),
                "internal mail request",
            )
            yield self._row(
                _("Priority"),
                Select[int](
                    [(_priority_label(n), n) for n in range(1, 10)],
                    value=5,
                    allow_blank=False,
                    id="priority",
                    compact=True,
                ),
                "internal mail request",
            )
            yield self._row(
                _("Project"),
                Select[str]([], prompt=_("(none)"), id="project", compact=True),
                "internal mail request",
            )
            yield self._row(
                _("Color"),
                Select(
                    [
                        (
                            Text.assemble(("● ", COLOR_MARKS.get(color, "")), color_label(color)),
                            color,
                        )
                        for color in COLORS
                    ],
                    prompt=_("(none)"),
                    id="color",
                    compact=True,
                ),
                "internal mail request",
            )
        with Horizontal(id="new-buttons"):
            yield Button(_("Create"), id="create", variant="primary", compact=True)
            yield Button(_("Cancel"), id="cancel", compact=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self._apply_kind(self.kind, focus=True)
        self.on_resize()
        self.tix.background(self.tix.backend.choices, then=self._fill_choices)

    def on_resize(self) -> None:
        # Room to breathe between the rows where the terminal is tall enough.
        self.set_class(self.app.size.height >= 36, "-roomy")

    def _fill_choices(self, choices: Choices) -> None:
        if not self.is_attached:  # closed before the answer came
            return
        self._choices = choices
        self._categories.names = list(choices.categories)
        self.query_one("#project", Select).set_options([(name, name) for name in choices.projects])
        account = self.query_one("#account", Select)
        account.set_options((name, name) for name in choices.accounts)
        if choices.accounts:
            account.value = choices.accounts[0]
        channel = self.query_one("#channel", Select)
        channel.set_options((name, name) for name in choices.channels)
        if len(choices.channels) == 1:
            channel.value = choices.channels[0]
        self._channel_for_account()
        owner = self.query_one("#owner", Select)
        owner.set_options((f"{name} ({login})", login) for login, name in choices.users)
        if any(login == self.tix.backend.login for login, _name in choices.users):
            owner.value = self.tix.backend.login

    def text_module_context(self) -> TextModuleContext:
        customer = self._address("#customer") if self.kind == "request" else ""
        if self.kind == "mail":
            customer = next(iter(split_addresses(self._address("#to"))), "")
        return TextModuleContext(
            channel=self._chosen("#channel") or None, customer=customer or None
        )

    @on(Select.Changed, "#account, #channel")
    def _show_signature(self) -> None:
        """A mail's preview shows the signature of its account, else its channel."""
        editor = self.query_one(MarkdownEditor)
        if self.kind != "mail":
            editor.signature = None
            return
        account, channel = self._chosen("#account"), self._chosen("#channel")
        backend = self.tix.backend

        def got(signature: str | None) -> None:
            if self.is_attached and self.kind == "mail":
                editor.signature = signature

        self.tix.background(lambda: backend.signature(channel=channel, account=account), then=got)

    @on(Select.Changed, "#account")
    def _channel_for_account(self) -> None:
        """The channel named like the account (support → Support) is the likely one."""
        account = self._chosen("#account").casefold()
        for name in self._choices.channels:
            if account and name.casefold() == account:
                self.query_one("#channel", Select).value = name

    # --- the kind -------------------------------------------------------------------

    @on(Tabs.TabActivated, "#kind")
    def _kind_chosen(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab.id in KINDS and event.tab.id != self.kind:
            self._apply_kind(event.tab.id, focus=False)

    def _apply_kind(self, kind: str, *, focus: bool) -> None:
        for other in KINDS:
            self.set_class(other == kind, f"-{other}")
        self.kind = kind
        labels = {"internal": _("Message"), "mail": _("Content"), "request": _("Request")}
        placeholders = {
            "internal": _("What is it about? Markdown; F2 shows the preview."),
            "mail": _(
                "The mail, in Markdown: it is sent as HTML (F2: preview). "
                "Drop a file here to attach it."
            ),
            "request": _("What the customer said. Markdown; F2 shows the preview."),
        }
        row = self.query_one(".editor-row")
        row.query_one(".label", Label).update(labels[kind])
        self.query_one(MarkdownEditor).text_area.placeholder = placeholders[kind]
        if self.is_mounted:
            self._show_signature()
        if focus:
            first = {"internal": "#owner", "mail": "#to Input", "request": "#customer Input"}
            self.query_one(first[kind]).focus()

    # --- reading the form -------------------------------------------------------------

    def _chosen(self, selector: str) -> str:
        value = self.query_one(selector, Select).value
        return "" if value is Select.NULL else str(value)

    def _text(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    def _address(self, selector: str) -> str:
        return self.query_one(selector, ContactField).value.strip()

    def _missing(self) -> tuple[str, str] | None:
        """The first required field left empty: ``(message, selector to focus)``."""
        kind = self.kind
        body = self.query_one(MarkdownEditor).text.strip()
        no_account = (
            _("Choose the account to send from.")
            if self._choices.accounts
            else _("There is no mail account yet: an admin adds one with `tix account add`.")
        )
        no_channel = (
            _("Choose a channel.")
            if self._choices.channels
            else _("There is no channel yet: an admin adds one with `tix channel add`.")
        )
        checks: list[tuple[bool, str, str]] = [
            (kind == "mail" and not self._chosen("#account"), no_account, "#account"),
            (kind != "internal" and not self._chosen("#channel"), no_channel, "#channel"),
            (kind == "mail" and not split_addresses(self._address("#to")),
             _("Give at least one recipient in To."), "#to Input"),
            (kind == "request" and not self._address("#customer"),
             _("Give the customer's address."), "#customer Input"),
            (not self._chosen("#owner"), _("Choose the owner."), "#owner"),
            (not self._text("#subject"), _("Give the ticket a subject."), "#subject"),
            (kind == "mail" and not body, _("Write the mail."), "#body"),
            (kind == "request" and not body,
             _("Write down what the customer said."), "#body"),
        ]  # fmt: skip
        for failed, message, selector in checks:
            if failed:
                return message, selector
        return None

    def _fields(self) -> dict[str, Any]:
        """The arguments of ``Backend.new_ticket`` for the chosen kind."""
        kind = self.kind
        fields: dict[str, Any] = {
            "subject": self._text("#subject"),
            "body": self.query_one(MarkdownEditor).text,
            "owner": self._chosen("#owner"),
            "priority": int(self._chosen("#priority") or 5),
            "categories": split_names(self.query_one("#categories", Input).value),
            "project": self._chosen("#project"),
            "color": self._chosen("#color"),
        }
        if kind != "internal":
            fields["channel"] = self._chosen("#channel")
        if kind == "mail":
            fields["account"] = self._chosen("#account")
            for name in ("to", "cc", "bcc"):
                fields[name] = split_addresses(self._address(f"#{name}"))
        if kind == "request":
            fields["customer"] = self._address("#customer")
            fields["customer_name"] = self._text("#customer-name")
        return fields

    def has_input(self) -> bool:
        """Whether anything was typed (then cancelling asks first)."""
        return bool(
            self.query_one(MarkdownEditor).text.strip()
            or any(field.value.strip() for field in self.query(Input))
        )

    # --- actions ---------------------------------------------------------------------

    def action_create(self) -> None:
        if self.busy:
            return
        missing = self._missing()
        if missing is not None:
            message, selector = missing
            self.notify(message, severity="error")
            self.query_one(selector).focus()
            return
        kind, fields = self.kind, self._fields()
        attachments = self.query_one("#attachments", Input).value
        backend = self.tix.backend

        def create() -> int:
            # split_paths looks at the file system: here in the worker, not on the UI thread
            return backend.new_ticket(kind, attachments=split_paths(attachments), **fields)

        self._set_busy(True)
        self.tix.background(create, then=self._created, failed=self._not_created)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.query_one("#create", Button).disabled = busy

    def _created(self, number: int) -> None:
        self.app.notify(_("Opened ticket #{number}").format(number=number))
        if not self.is_attached:
            return
        self._set_busy(False)
        self._result = number
        if self.is_current:
            self.dismiss(number)

    def on_screen_resume(self) -> None:
        # Created while the command palette (or another screen) was on top.
        if self._result is not None:
            self.dismiss(self._result)

    def _not_created(self, error: TixError) -> None:
        if self.is_attached:
            self._set_busy(False)

    def action_cancel(self) -> None:
        if self.busy:
            self.notify(_("The ticket is being created…"))
            return
        if self.has_input():
            self.app.push_screen(DiscardScreen(), self._discard_answered)
        else:
            self.dismiss(None)

    def _discard_answered(self, discard: bool | None) -> None:
        if discard:
            self.dismiss(None)

    @on(Button.Pressed, "#create")
    def _create_pressed(self) -> None:
        self.action_create()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    @on(MarkdownEditor.FilesDropped)
    def _attach_dropped(self, event: MarkdownEditor.FilesDropped) -> None:
        field = self.query_one("#attachments", Input)
        quoted = " ".join(shlex.quote(path) for path in event.paths)
        field.value = f"{field.value.rstrip()} {quoted}".strip()
        self.notify(
            _("Attached {files}").format(files=", ".join(Path(p).name for p in event.paths))
        )

"""Text modules in the editors: F3, or typing ``::``, opens a fuzzy picker; the chosen
module is filled in for the ticket and inserted at the cursor.

:class:`TextModuleArea` is the text area of the reply, note, solution and new-ticket
editors; it posts :class:`TextModuleArea.Wanted`. A screen that hosts one mixes in
:class:`TextModuleHost` and says, in :meth:`TextModuleHost.text_module_context`, for
which ticket (or channel and customer, for a ticket still being written) the text is.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, TextArea
from textual.widgets.option_list import Option

from tix.core.i18n import _

TRIGGER = "::"
"""Typed in an editor, opens the picker (as in Zammad)."""


@dataclass(frozen=True)
class TextModuleChoice:
    """One module the picker offers."""

    name: str
    channel: str | None
    """``None``: a global module."""
    preview: str
    """The start of its text, on one line."""


@dataclass(frozen=True)
class TextModuleContext:
    """What a text is written for: a ticket, or a new ticket's channel and customer."""

    number: int | None = None
    channel: str | None = None
    customer: str | None = None


class TextModuleArea(TextArea):
    """A text area where F3 or ``::`` asks for a text module."""

    BINDINGS = [  # noqa: RUF012
        Binding("f3", "text_module", _("Text modules"), key_display="F3"),
    ]

    class Wanted(Message):
        """The agent asked for a text module here."""

        def __init__(self, area: TextModuleArea, typed: str = "") -> None:
            super().__init__()
            self.area = area
            self.typed = typed
            """What was typed to ask (``::``): given back when nothing is chosen."""

        @property
        def control(self) -> TextModuleArea:
            return self.area

    def on_mount(self) -> None:
        if not self.placeholder:  # an editor's own placeholder says more
            self.placeholder = _("Markdown. F3 or :: inserts a text module.")

    def action_text_module(self) -> None:
        if not self.read_only:
            self.post_message(self.Wanted(self))

    async def _on_key(self, event: events.Key) -> None:
        if event.character == TRIGGER[-1] and not self.read_only and self._typed_trigger():
            event.prevent_default()
            event.stop()
            row, column = self.cursor_location
            self.delete((row, column - len(TRIGGER) + 1), (row, column))
            self.post_message(self.Wanted(self, TRIGGER))
            return
        await super()._on_key(event)

    def _typed_trigger(self) -> bool:
        """Whether the key about to be typed completes ``::`` at the start of a word."""
        if self.selection.start != self.selection.end:
            return False
        row, column = self.cursor_location
        before = self.document.get_line(row)[:column]
        head = TRIGGER[:-1]
        if not before.endswith(head):
            return False
        rest = before[: len(before) - len(head)]
        return not rest or rest[-1].isspace()  # not inside "http://" or "a::b"


class TextModulePicker(ModalScreen[TextModuleChoice | None]):
    """Pick a text module: typing filters fuzzily (as the command palette does)."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "cancel", _("Cancel")),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    def __init__(self, choices: list[TextModuleChoice]) -> None:
        super().__init__(classes="dialog-screen")
        self.choices = choices
        self.shown: list[TextModuleChoice] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog text-module-picker"):
            yield Label(_("Insert a text module"), classes="dialog-title")
            yield Input(placeholder=_("Type to search"), id="text-module-filter", compact=True)
            yield OptionList(id="text-module-options")
            yield Label(
                _("Enter inserts it · Esc cancels"), classes="dialog-hint", id="text-module-hint"
            )

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#text-module-filter", Input).focus()

    def _label(self, choice: TextModuleChoice, matcher: Matcher | None) -> Content:
        name = matcher.highlight(choice.name) if matcher else Content(choice.name)
        parts: list[Content | str | tuple[str, str]] = [name.stylize_before("bold")]
        if choice.channel:
            parts.append((f"  [{choice.channel}]", "italic"))
        if choice.preview:
            parts += ["\n", (choice.preview, "dim")]
        return Content.assemble(*parts)

    def _fill(self, query: str) -> None:
        matcher = Matcher(query.strip()) if query.strip() else None
        scored: list[tuple[float, int, TextModuleChoice]] = []
        for index, choice in enumerate(self.choices):
            if matcher is None:
                scored.append((1.0, index, choice))
                continue
            score = max(matcher.match(choice.name), matcher.match(choice.preview) * 0.5)
            if score > 0:
                scored.append((score, index, choice))
        scored.sort(key=lambda item: (-item[0], item[1]))
        self.shown = [choice for _score, _index, choice in scored]
        options = self.query_one("#text-module-options", OptionList)
        options.clear_options()
        if not self.shown:
            options.add_option(Option(_("No text module matches."), disabled=True))
            return
        options.add_options(Option(self._label(choice, matcher)) for choice in self.shown)
        options.highlighted = 0

    @on(Input.Changed, "#text-module-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def action_move(self, step: int) -> None:
        options = self.query_one("#text-module-options", OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    @on(Input.Submitted, "#text-module-filter")
    def _take_highlighted(self) -> None:
        index = self.query_one("#text-module-options", OptionList).highlighted
        if index is not None and index < len(self.shown):
            self.dismiss(self.shown[index])

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option_index < len(self.shown):
            self.dismiss(self.shown[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextModuleHost:
    """Mixed into a screen with :class:`TextModuleArea` editors: answers their
    :class:`TextModuleArea.Wanted` with the picker, and inserts the filled-in text."""

    def text_module_context(self) -> TextModuleContext:
        """For which ticket the text is; screens override this."""
        return TextModuleContext()

    def on_text_module_area_wanted(self, event: TextModuleArea.Wanted) -> None:
        # A handler by name: Textual finds those on mixins too (not @on-decorated ones).
        from tix.tui.app import TixApp

        event.stop()
        app = event.area.app
        assert isinstance(app, TixApp)
        area = event.area
        context = self.text_module_context()
        backend = app.backend

        def chosen(choice: TextModuleChoice | None) -> None:
            area.focus()
            if choice is None:
                if event.typed:  # "::" was meant as text after all
                    area.insert(event.typed)
                return
            app.background(
                lambda: backend.text_module(choice.name, choice.channel, context),
                then=lambda text: _insert(area, text),
                failed=lambda _error: _refocus(area),
            )

        def offer(choices: list[TextModuleChoice]) -> None:
            if not choices:
                chosen(None)
                app.notify(
                    _("No text modules yet: add one with `tix template add NAME --body TEXT`."),
                    severity="warning",
                )
                return
            app.push_screen(TextModulePicker(choices), chosen)

        app.background(lambda: backend.text_modules(context), then=offer)


def _refocus(area: TextArea) -> None:
    area.focus()  # the error is a notification; the text stays as it was


def _insert(area: TextArea, text: str) -> None:
    area.insert(text)
    area.focus()


__all__ = [
    "TRIGGER",
    "TextModuleArea",
    "TextModuleChoice",
    "TextModuleContext",
    "TextModuleHost",
    "TextModulePicker",
]

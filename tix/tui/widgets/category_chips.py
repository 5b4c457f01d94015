"""Categories as removable chips, and a field that adds one with completion.

Typing a name and Enter (or a comma) adds it to those there are, never replacing
them; the name is completed from the known categories (Tab or → takes the
suggestion). A chip's ✕ (a click, or Enter/Delete when it has the focus) removes
it; Backspace in the empty field removes the last one. What is typed but not yet
added counts as added: Save does not lose it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input

from tix.core.i18n import _
from tix.core.validation import split_names


class Chip(Button):
    """One category; pressing it (Enter, Delete, a click) removes it."""

    BINDINGS = [  # noqa: RUF012
        Binding("delete,backspace", "press", _("Remove"), show=False),
    ]

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} ✕", classes="chip", compact=True)
        self.category = name
        self.tooltip = _("Remove {name}").format(name=name)


class CategoryChips(Horizontal):
    """The categories of a ticket, as chips, and a field to add more."""

    DEFAULT_CSS = """
    CategoryChips {
        height: auto;
        width: 1fr;
    }
    CategoryChips > .chip {
        width: auto;
        min-width: 0;
        margin-right: 1;
    }
    CategoryChips > Input {
        width: 1fr;
        min-width: 12;
    }
    """

    @dataclass
    class Changed(Message):
        """The categories changed (added or removed)."""

        chips: CategoryChips

        @property
        def control(self) -> CategoryChips:
            return self.chips

    def __init__(self, *, id: str | None = None, known: Sequence[str] = ()) -> None:
        super().__init__(id=id)
        self._values: list[str] = []
        self._known = list(known)

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder=_("add a category"),
            suggester=SuggestFromList(self._known, case_sensitive=False),
            id=f"{self.id}-input" if self.id else None,
            compact=True,
        )

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def values(self) -> list[str]:
        """The chips, and what is typed in the field but not yet added."""
        return self._merged(self._values, split_names(self.input.value))

    def set_values(self, values: Sequence[str]) -> None:
        """Show these categories (what was typed in the field is dropped)."""
        self._values = self._merged([], values)
        self.input.value = ""
        self._draw()

    def set_known(self, known: Sequence[str]) -> None:
        """The categories the field completes."""
        self._known = list(known)
        self.input.suggester = SuggestFromList(self._known, case_sensitive=False)

    def add_categories(self, text: str) -> None:
        """Add the names in ``text`` (commas between several) to the chips."""
        merged = self._merged(self._values, split_names(text))
        if merged != self._values:
            self._values = merged
            self._draw()
            self.post_message(self.Changed(self))

    def remove_category(self, name: str) -> None:
        kept = [value for value in self._values if value.casefold() != name.casefold()]
        if kept != self._values:
            self._values = kept
            self._draw()
            self.input.focus()
            self.post_message(self.Changed(self))

    def _merged(self, first: Sequence[str], more: Sequence[str]) -> list[str]:
        """``first`` and then those of ``more`` it lacks (ignoring case); a known
        category is written as it is known."""
        spelled = {name.casefold(): name for name in self._known}
        found: list[str] = []
        seen: set[str] = set()
        for name in [*first, *more]:
            key = name.casefold()
            if key not in seen:
                seen.add(key)
                found.append(spelled.get(key, name))
        return found

    def _draw(self) -> None:
        for chip in self.query(Chip):
            chip.remove()
        if self._values:
            self.mount_all([Chip(name) for name in self._values], before=self.input)

    # --- events ---------------------------------------------------------------------

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            event.stop()  # Enter adds: it does not submit the form around
            self.add_categories(event.value)
            self.input.value = ""

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        if "," in event.value:
            head, _comma, rest = event.value.rpartition(",")
            self.add_categories(head)
            self.input.value = rest.lstrip()

    @on(Button.Pressed, ".chip")
    def _chip_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if isinstance(event.button, Chip):
            self.remove_category(event.button.category)

    def on_key(self, event: events.Key) -> None:
        empty = self.input.has_focus and not self.input.value
        if event.key == "backspace" and empty and self._values:
            event.stop()
            self.remove_category(self._values[-1])

    def on_click(self, event: events.Click) -> None:
        if not isinstance(event.widget, Button | Input):
            self.input.focus()

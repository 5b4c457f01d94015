"""Bulk actions on the marked tickets of the list: what to do, one confirmation, and one
summary of what was done and what was refused.

The list marks tickets (Space, ``*`` for all that match the filters); ``b`` asks here,
in the list's dialogs, what to do with them: set owner, status, channel, priority or
color, add a category or a note, or merge them into one ticket. The list runs the
action in a worker (:meth:`~tix.tui.backend.Backend.bulk`) and shows
:class:`BulkSummaryDialog` when it is done. These dialogs do no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from tix.core.i18n import _, ngettext
from tix.core.labels import color_label, status_label
from tix.tui.dialogs import (
    Composed,
    ComposeDialog,
    ConfirmDialog,
    FormDialog,
    FormField,
    PickDialog,
)

if TYPE_CHECKING:
    from tix.core.read_models.bulk import BulkResult
    from tix.tui.backend import Choices

STATUSES = ("new", "open", "waiting", "solved", "closed")


@dataclass(frozen=True)
class BulkRequest:
    """What to do to every marked ticket."""

    action: str
    """owner, status, channel, priority, category, color, note or merge."""
    value: str
    """The new value (a login, status, channel, priority, category or color; ``none``
    removes the color), the note's text, or the number of the ticket to merge into."""
    other_customer: bool = False
    """Merge: also tickets of another customer."""
    attachments: tuple[str, ...] = ()
    """Note: paths of files to add to each ticket with it."""

    def describe(self) -> str:
        """The action in a few words, for the confirmation and the summary."""
        if self.action == "owner":
            return _("Owner → {value}").format(value=self.value)
        if self.action == "status":
            return _("Status → {value}").format(value=status_label(self.value))
        if self.action == "channel":
            return _("Channel → {value}").format(value=self.value)
        if self.action == "priority":
            return _("Priority → {value}").format(value=self.value)
        if self.action == "category":
            return _("Category + {value}").format(value=self.value)
        if self.action == "color":
            color = _("no color") if self.value == "none" else color_label(self.value)
            return _("Color → {value}").format(value=color)
        if self.action == "note":
            return _("Note")
        return _("Merge into #{number}").format(number=self.value)


def actions() -> list[tuple[str, str]]:
    """(label, action) of what can be done to the marked tickets."""
    return [
        (_("Set owner…"), "owner"),
        (_("Set status…"), "status"),
        (_("Set channel…"), "channel"),
        (_("Set priority…"), "priority"),
        (_("Add a category…"), "category"),
        (_("Set color…"), "color"),
        (_("Add a note…"), "note"),
        (_("Merge into a ticket…"), "merge"),
    ]


def ask(
    app: App[object],
    count: int,
    choices: Choices,
    done: Callable[[BulkRequest | None], None],
    *,
    marked: Sequence[int] = (),
) -> None:
    """Ask what to do to ``count`` marked tickets (their numbers ``marked``), then for
    the value, then for a confirmation; ``done`` gets the request (``None``: not now)."""
    title = ngettext(
        "Bulk action on {count} ticket", "Bulk action on {count} tickets", count
    ).format(count=count)

    def confirm(request: BulkRequest) -> None:
        affected = count
        if request.action == "merge" and int(request.value) in marked:
            affected -= 1  # the target is not merged into itself
        question = ngettext(
            "{action} on {count} ticket?", "{action} on {count} tickets?", affected
        ).format(action=request.describe(), count=affected)
        app.push_screen(ConfirmDialog(question), lambda yes: done(request if yes else None))

    def value_for(action: str | None) -> None:
        if not action:
            done(None)
            return

        def picked(value: str | None) -> None:
            if value:
                confirm(BulkRequest(action, value))
            else:
                done(None)

        if action == "owner":
            options = [(f"{name} ({login})", login) for login, name in choices.users]
            app.push_screen(PickDialog(_("Owner"), options), picked)
        elif action == "status":
            options = [(status_label(status), status) for status in STATUSES]
            app.push_screen(PickDialog(_("Status"), options), picked)
        elif action == "channel":
            options = [(name, name) for name in choices.channels]
            app.push_screen(PickDialog(_("Channel"), options), picked)
        elif action == "priority":
            options = [(str(level), str(level)) for level in range(9, 0, -1)]
            app.push_screen(PickDialog(_("Priority"), options), picked)
        elif action == "color":
            from tix.core.validation import COLORS

            options = [(color_label(color), color) for color in COLORS]
            options.append((_("no color"), "none"))
            app.push_screen(PickDialog(_("Color"), options), picked)
        elif action == "category":
            ask_category()
        elif action == "note":
            ask_note()
        else:
            ask_merge("")

    def ask_category() -> None:
        def given(values: dict[str, object] | None) -> None:
            if values is None:
                done(None)
            else:
                confirm(BulkRequest("category", str(values["category"])))

        field = FormField("category", _("Category"), required=True)
        app.push_screen(FormDialog(title, [field], submit_label=_("Next")), given)

    def ask_note() -> None:
        def written(composed: Composed | None) -> None:
            if composed is None or not composed.body.strip():
                done(None)
            else:
                confirm(BulkRequest("note", composed.body, attachments=tuple(composed.attachments)))

        app.push_screen(
            ComposeDialog(
                title + " — " + _("Note"),
                send_label=_("Next"),
                hint=_("An internal note on each ticket: never mailed."),
            ),
            written,
        )

    def ask_merge(typed: str, other: bool = False) -> None:
        from tix.core.errors import Malformed
        from tix.core.validation import ticket_number

        def given(values: dict[str, object] | None) -> None:
            if values is None:
                done(None)
                return
            text = str(values["into"])
            try:
                number = ticket_number(text)
            except Malformed as error:
                app.notify(error.message, severity="warning")
                ask_merge(text, bool(values["other"]))  # again, with what was typed
                return
            confirm(BulkRequest("merge", str(number), bool(values["other"])))

        fields = [
            FormField("into", _("Into ticket"), typed, placeholder="1042", required=True),
            FormField("other", _("also tickets of other customers"), other, kind="check"),
        ]
        hint = _(
            "Each marked ticket is merged into this one: its activities, files and mail "
            "move there, and it is closed."
        )
        app.push_screen(FormDialog(title, fields, submit_label=_("Next"), hint=hint), given)

    app.push_screen(PickDialog(title, actions()), value_for)


class BulkSummaryDialog(ModalScreen[None]):
    """What a bulk action did: how many tickets, and each refused one with the reason."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", _("Close")),
        Binding("enter", "close", _("Close"), show=False),
    ]

    def __init__(self, request: BulkRequest, results: Sequence[BulkResult]) -> None:
        super().__init__(classes="dialog-screen")
        self.request = request
        self.results = list(results)

    def compose(self) -> ComposeResult:
        done = [r for r in self.results if r.ok and (r.changes or r.activities)]
        idle = [r for r in self.results if r.ok and not (r.changes or r.activities)]
        refused = [r for r in self.results if not r.ok]
        with Vertical(classes="dialog bulk-summary"):
            yield Label(self.request.describe(), classes="dialog-title")
            yield Label(
                ngettext("Done on {count} ticket.", "Done on {count} tickets.", len(done)).format(
                    count=len(done)
                ),
                id="bulk-done",
            )
            if idle:
                yield Label(
                    ngettext(
                        "Nothing to change on {count} ticket.",
                        "Nothing to change on {count} tickets.",
                        len(idle),
                    ).format(count=len(idle)),
                    id="bulk-idle",
                    classes="dialog-hint",
                )
            if refused:
                yield Label(
                    ngettext(
                        "Refused {count} ticket (still marked):",
                        "Refused {count} tickets (still marked):",
                        len(refused),
                    ).format(count=len(refused)),
                    id="bulk-refused-title",
                )
                with VerticalScroll(id="bulk-refused"):
                    for result in refused:
                        reason = result.error.message if result.error else ""
                        yield Static(f"#{result.number}: {reason}", classes="bulk-refusal")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Close"), id="close", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)

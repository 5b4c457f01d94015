"""Finding tickets: go to a ticket by its number, and the agent's saved views.

:class:`GoToTicketDialog` asks for a number and checks that the agent may see that
ticket before it closes; :class:`ViewsDialog` lists the saved views to pick one (or
remove one, after a second press); :class:`SaveViewDialog` names the current filter.
Dialogs stay open on a mistake, mark the field and keep what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tix.core.errors import Conflict, Forbidden, NotFound, TixError
from tix.core.i18n import _
from tix.core.services.tickets import ticket_reference

if TYPE_CHECKING:
    from tix.core.services.saved_views import ViewSpec
    from tix.tui.app import TixApp
    from tix.tui.backend import Backend


def visible_number(backend: Backend, number: int) -> int | str:
    """``number`` if the agent may see that ticket, else why not, as a sentence."""
    try:
        return backend.check_ticket(number)
    except NotFound:
        return _("There is no ticket #{number}.").format(number=number)
    except Forbidden:
        return _("Ticket #{number} is not visible to you.").format(number=number)


def go_to_number(app: TixApp, number: int) -> None:
    """Open ticket ``number`` once the backend says the agent may see it; else say why
    in a notification."""

    def answer(result: int | str) -> None:
        if isinstance(result, int):
            app.open_ticket(result)
        else:
            app.notify(result, severity="warning")

    app.background(lambda: visible_number(app.backend, number), then=answer, group="go-to")


class GoToTicketDialog(ModalScreen[int | None]):
    """Ask for a ticket number; gives it back once the ticket is known to be visible."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", _("Cancel"))]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog go-to-dialog"):
            yield Label(_("Go to ticket"), classes="dialog-title")
            yield Input(placeholder=_("Number, e.g. 1196 or #1196"), id="go-to-number")
            yield Label(
                _("Enter opens it · Escape cancels"), id="go-to-hint", classes="dialog-hint"
            )

    def on_mount(self) -> None:
        self.query_one("#go-to-number", Input).focus()

    def _problem(self, message: str) -> None:
        field = self.query_one("#go-to-number", Input)
        field.add_class("-invalid")
        hint = self.query_one("#go-to-hint", Label)
        hint.update(Text(message, style="bold"))
        hint.add_class("error")

    @on(Input.Changed, "#go-to-number")
    def _typed(self, _event: Input.Changed) -> None:
        field = self.query_one("#go-to-number", Input)
        if field.has_class("-invalid"):  # a new try: the mark and the message go
            field.remove_class("-invalid")
            hint = self.query_one("#go-to-hint", Label)
            hint.update(_("Enter opens it · Escape cancels"))
            hint.remove_class("error")

    @on(Input.Submitted, "#go-to-number")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        number = ticket_reference(event.value)
        if number is None:
            self._problem(
                _("{value!r} is not a ticket number: write it like 1196 or #1196").format(
                    value=event.value.strip()
                )
            )
            return
        backend = cast("TixApp", self.app).backend

        def answer(result: int | str) -> None:
            if not self.is_attached:
                return
            if isinstance(result, int):
                self.dismiss(result)
            else:
                self._problem(result)

        cast("TixApp", self.app).background(
            lambda: visible_number(backend, number), then=answer, group="go-to"
        )

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class ViewChoice:
    """What :class:`ViewsDialog` gives back: the view to show."""

    name: str
    spec: ViewSpec


class ViewsDialog(ModalScreen[ViewChoice | None]):
    """The agent's saved views: Enter shows one, Delete (twice) removes one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", _("Cancel")),
        Binding("delete", "remove", _("Remove"), key_display="Del"),
        Binding("d", "remove", _("Remove"), show=False),
    ]

    def __init__(self, views: list[tuple[str, ViewSpec, str]], current: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.views = list(views)
        self.current = current
        self._armed: str | None = None
        """The view a first Delete picked: a second Delete removes it."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog views-dialog"):
            yield Label(_("Saved views"), classes="dialog-title")
            yield OptionList(id="views-options")
            yield Label(id="views-hint", classes="dialog-hint")

    def on_mount(self) -> None:
        self._fill()
        self.query_one(OptionList).focus()

    def _hint(self, text: str | None = None, *, warn: bool = False) -> None:
        hint = self.query_one("#views-hint", Label)
        if text is None:
            text = (
                _("Enter shows the view · Del removes it · Escape cancels")
                if self.views
                else _("No views yet: set the filters, then save them with V.")
            )
        hint.update(Text(text, style="bold") if warn else text)
        hint.set_class(warn, "error")

    def _fill(self, highlight: int = 0) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        for name, _spec, description in self.views:
            label = Text.assemble((name, "bold"), "  ", (description, "dim"))
            options.add_option(Option(label, id=f"view:{name}"))
        names = [name for name, _spec, _description in self.views]
        if self.current in names and highlight == 0:
            highlight = names.index(self.current)
        if self.views:
            options.highlighted = min(highlight, len(self.views) - 1)
        self._hint()

    def _highlighted(self) -> tuple[int, str] | None:
        options = self.query_one(OptionList)
        index = options.highlighted
        if index is None or not self.views:
            return None
        return index, self.views[index][0]

    @on(OptionList.OptionHighlighted)
    def _moved(self, _event: OptionList.OptionHighlighted) -> None:
        if self._armed is not None:
            self._armed = None
            self._hint()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        name, spec, _description = self.views[event.option_index]
        self.dismiss(ViewChoice(name, spec))

    def action_remove(self) -> None:
        found = self._highlighted()
        if found is None:
            return
        index, name = found
        if self._armed != name:
            self._armed = name
            self._hint(
                _("Press Del again to remove the view {name!r}.").format(name=name), warn=True
            )
            return
        self._armed = None
        app = cast("TixApp", self.app)

        def removed(_name: str) -> None:
            if not self.is_attached:
                return
            del self.views[index]
            self._fill(index)
            app.notify(_("Removed view {name}.").format(name=name))

        app.background(lambda: app.backend.remove_view(name), then=removed, group="views")

    def action_cancel(self) -> None:
        self.dismiss(None)


class SaveViewDialog(ModalScreen[str | None]):
    """Name the current filter and save it as a view; gives back the name saved.
    A name taken asks for Enter once more, which replaces that view."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", _("Cancel"))]

    def __init__(self, spec: ViewSpec, *, name: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.spec = spec
        self.name_text = name
        self._replace: str | None = None
        """A name already taken that the agent was asked about: Enter again replaces."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog save-view-dialog"):
            yield Label(_("Save the filter as a view"), classes="dialog-title")
            yield Label(self.spec.describe(), id="save-view-filter", classes="dialog-hint")
            yield Input(self.name_text, placeholder=_("Name of the view"), id="save-view-name")
            yield Label(
                _("Enter saves · Escape cancels"), id="save-view-hint", classes="dialog-hint"
            )

    def on_mount(self) -> None:
        self.query_one("#save-view-name", Input).focus()

    def _problem(self, message: str) -> None:
        self.query_one("#save-view-name", Input).add_class("-invalid")
        hint = self.query_one("#save-view-hint", Label)
        hint.update(Text(message, style="bold"))
        hint.add_class("error")

    @on(Input.Changed, "#save-view-name")
    def _typed(self, _event: Input.Changed) -> None:
        self._replace = None
        field = self.query_one("#save-view-name", Input)
        if field.has_class("-invalid"):  # a new try: the mark and the message go
            field.remove_class("-invalid")
            hint = self.query_one("#save-view-hint", Label)
            hint.update(_("Enter saves · Escape cancels"))
            hint.remove_class("error")

    @on(Input.Submitted, "#save-view-name")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = event.value
        replace = self._replace is not None and self._replace == name
        app = cast("TixApp", self.app)

        def saved(saved_name: str) -> None:
            if self.is_attached:
                self.dismiss(saved_name)

        def failed(error: TixError) -> None:
            if not self.is_attached:
                return
            if isinstance(error, Conflict):
                self._replace = name
                self._problem(
                    _("You have a view {name!r} already: Enter again replaces it.").format(
                        name=name.strip()
                    )
                )
            else:
                self._problem(error.message)

        # errors are shown here, in the dialog, not as a notification as well
        def job() -> str | TixError:
            try:
                return app.backend.save_view(name, self.spec, replace=replace)
            except TixError as error:
                return error

        def answer(result: Any) -> None:
            if isinstance(result, TixError):
                failed(result)
            else:
                saved(result)

        app.background(job, then=answer, group="views")

    def action_cancel(self) -> None:
        self.dismiss(None)

"""What the ticket view's six tabs share: a pane that draws one ticket and asks for work.

Each tab of the ticket view is a :class:`TicketPane` in its own module (Details,
Activities, Times, Watchers, Files, Alarms). The screen hands every pane the ticket
it last loaded (:meth:`TicketPane.show`) and what the pickers offer
(:meth:`TicketPane.set_choices`); a pane runs its backend calls in workers through
the app and posts what came of them as messages, which the screen routes: a fresh
ticket to draw everywhere (:class:`TicketPane.Written`) or a change of ticket fields
to send (:class:`TicketPane.ChangeRequested`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from textual.message import Message
from textual.widgets import DataTable, Select, TabPane

from tix.core.errors import TixError
from tix.core.read_models import TicketDetail
from tix.tui.backend import Backend, Choices

if TYPE_CHECKING:
    from tix.tui.app import TixApp


class TicketPane(TabPane):
    """One tab of the ticket view, for ticket ``number``."""

    @dataclass
    class Written(Message):
        """A backend call changed the ticket and gave it back: draw it everywhere."""

        detail: TicketDetail
        refill_form: bool = False
        """Fill the Details form afresh (after Save), instead of keeping its edits."""
        notice: str = ""
        """A line to tell the user once it is drawn."""
        choices: Choices | None = None
        """New picker choices, when the call changed them (a new project)."""

    @dataclass
    class ChangeRequested(Message):
        """Change these fields of the ticket at ``version`` (``backend.change``)."""

        version: int
        fields: dict[str, Any] = field(default_factory=dict)
        refill_form: bool = False

    def __init__(self, title: str, *, number: int, id: str) -> None:
        super().__init__(title, id=id)
        self.number = number
        self.detail: TicketDetail | None = None
        """The ticket as last shown."""
        self.choices: Choices | None = None
        """What the pickers offer (users, channels, projects …), once loaded."""

    @property
    def tix(self) -> TixApp:
        return cast("TixApp", self.app)

    @property
    def backend(self) -> Backend:
        return self.tix.backend

    def show(self, detail: TicketDetail) -> None:
        """Draw ``detail``; subclasses draw their part and call this first."""
        self.detail = detail

    def set_choices(self, choices: Choices) -> None:
        self.choices = choices

    def run_job(
        self,
        job: Callable[[], Any],
        then: Callable[[Any], None] | None = None,
        failed: Callable[[TixError], None] | None = None,
    ) -> None:
        """``job`` in a worker; ``then``/``failed`` only while this pane is still up."""

        def when_attached(callback: Callable[[Any], None] | None) -> Callable[[Any], None]:
            def call(value: Any) -> None:
                if callback is not None and self.is_attached:
                    callback(value)

            return call

        self.tix.background(
            job, then=when_attached(then), failed=when_attached(failed), group="ticket-view-action"
        )

    def written(self, detail: TicketDetail) -> None:
        """The usual answer to a write: the fresh ticket, drawn by the screen."""
        self.post_message(self.Written(detail))


class ListPane(TicketPane):
    """A pane that lists rows in ``#<id>-table``, or says ``#<id>-empty`` when there are none."""

    COLUMNS: tuple[str, ...] = ()

    def columns(self) -> tuple[str, ...]:
        """The table's column headings (translated when the pane is mounted)."""
        return self.COLUMNS

    def on_mount(self) -> None:
        self.table.add_columns(*self.columns())
        self.query_one(f"#{self.id}-empty").display = False

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one(f"#{self.id}-table", DataTable)

    def fill(self, rows: list[tuple[Any, ...]]) -> None:
        table = self.table
        refill(table, rows)
        table.display = bool(rows)
        self.query_one(f"#{self.id}-empty").display = not rows

    def selected(self) -> str | None:
        """The key of the row under the cursor."""
        table = self.table
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None


def refill(table: DataTable[Any], rows: Iterable[tuple[Any, ...]]) -> None:
    """Replace a table's rows, keeping the cursor on the same row number."""
    row = table.cursor_row
    table.clear()
    for key, *cells in rows:
        table.add_row(*cells, key=key)
    if table.row_count:
        table.move_cursor(row=min(max(row, 0), table.row_count - 1), animate=False)


def set_options(
    select: Select[str], options: list[tuple[str, str]], known: dict[str, list[tuple[str, str]]]
) -> None:
    """Give ``select`` new options, keeping its value when it is still among them;
    ``known`` remembers the options by widget id."""
    value = select.value
    known[select.id or ""] = list(options)
    select.set_options(options)
    if value is not Select.NULL and value in [v for _label, v in options]:
        select.value = value

"""Documents (quotes, order confirmations, invoices): the list of those on tickets the
agent may see, the lines of the one under the cursor, and what ``tix document`` does
with one: open it (as the Excel file, in the desktop's viewer), export it to Excel,
go to its ticket.

Opened from the command palette ("Documents") or, for one ticket, from its view.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from tix.core.datefmt import day_text
from tix.core.i18n import _
from tix.core.labels import document_label
from tix.core.read_models.documents import DocumentView
from tix.tui.dialogs import FormDialog, FormField
from tix.tui.widgets.footer import KeyBar
from tix.tui.widgets.ticket_files import Opener, default_save_folder, system_opener
from tix.tui.widgets.ticket_pane import refill

if TYPE_CHECKING:
    from tix.tui.app import TixApp


def check_workbook_path(text: str) -> None:
    from tix.core.errors import Invalid

    target = Path(text.strip()).expanduser()
    if target.suffix.lower() != ".xlsx":
        raise Invalid(_("{file} must end in {suffix}").format(file=target, suffix=".xlsx"))


class DocumentsScreen(Screen[None]):
    """The documents, newest first; those of one ticket when ``ticket`` is given."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", _("Open"), priority=True),
        Binding("e", "export", _("Export")),
        Binding("t", "ticket", _("Ticket")),
        Binding("f5", "reload", _("Reload"), show=False),
        Binding("escape", "back", _("Back")),
        Binding("q", "back", _("Back"), show=False),
    ]

    def __init__(self, ticket: int | None = None) -> None:
        super().__init__()
        self.ticket = ticket
        self.items: list[DocumentView] = []

    @property
    def tix(self) -> TixApp:
        return cast("TixApp", self.app)

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#documents", DataTable)

    def compose(self) -> ComposeResult:
        yield Header()
        title = (
            _("Documents of #{number}").format(number=self.ticket)
            if self.ticket is not None
            else _("Documents")
        )
        yield Static(title, id="documents-title")
        yield DataTable(id="documents", cursor_type="row", zebra_stripes=False)
        yield Static(_("No documents."), id="documents-empty", classes="empty")
        yield Static("", id="document-lines")
        yield KeyBar(hidden=("f5",))

    def on_mount(self) -> None:
        table = self.table
        table.add_column(_("Number"), key="number")
        table.add_column(_("Type"), key="type")
        table.add_column(_("Date"), key="issued")
        table.add_column("#", key="ticket")
        table.add_column(_("Customer"), key="customer")
        table.add_column(_("Net"), key="net")
        table.add_column(_("Gross"), key="gross")
        self.query_one("#documents-empty").display = False
        table.focus()
        self.action_reload()

    def action_reload(self) -> None:
        backend, ticket = self.tix.backend, self.ticket
        self.tix.background(lambda: backend.documents(ticket), then=self._show, group="documents")

    def _show(self, items: list[DocumentView]) -> None:
        if not self.is_attached:
            return
        self.items = items
        table = self.table
        refill(
            table,
            (
                (
                    item.number,
                    item.number,
                    document_label(item.type),
                    day_text(item.issued),
                    Text(str(item.ticket), justify="right"),
                    item.customer or "",
                    Text(f"{item.net} {item.currency}", justify="right"),
                    Text(f"{item.gross} {item.currency}", justify="right"),
                )
                for item in items
            ),
        )
        table.display = bool(items)
        self.query_one("#documents-empty").display = not items
        self._show_lines()

    def selected(self) -> DocumentView | None:
        table = self.table
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((item for item in self.items if item.number == key), None)

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_lines()

    def _show_lines(self) -> None:
        found = self.selected()
        lines = self.query_one("#document-lines", Static)
        if found is None:
            lines.update("")
            return
        grid = Table(box=None, padding=(0, 1), expand=True, show_edge=False)
        grid.add_column("#", justify="right", style="dim", no_wrap=True)
        grid.add_column(_("Description"), ratio=1)
        grid.add_column(_("Quantity"), justify="right", no_wrap=True)
        grid.add_column(_("Unit price"), justify="right", no_wrap=True)
        for line in found.lines:
            quantity = f"{line.quantity} {line.unit}".strip()
            grid.add_row(str(line.position), line.description, quantity, line.unit_price)
        grid.add_row(
            "",
            Text(_("Net / VAT {rate} % / Gross").format(rate=found.vat_rate), style="dim"),
            "",
            Text(f"{found.net} / {found.vat} / {found.gross} {found.currency}", style="bold"),
        )
        lines.update(grid)

    # --- actions -----------------------------------------------------------------------

    def action_open(self, opener: Opener | None = None) -> None:
        """Open the document as its Excel file in the desktop's viewer (or say where it
        was written when there is none)."""
        found = self.selected()
        if found is None:
            return
        backend, number = self.tix.backend, found.number
        command_of = opener or system_opener

        def job() -> tuple[Path, bool]:
            folder = Path(tempfile.mkdtemp(prefix="tix-"))
            path = backend.export_document(number, str(folder / f"{number}.xlsx"))
            command = command_of()
            if command is None:
                return path, False
            subprocess.Popen(  # the viewer outlives this call: no wait
                [*command, str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            return path, True

        def done(result: tuple[Path, bool]) -> None:
            path, opened = result
            if opened:
                self.notify(_("Opened {file}.").format(file=path.name))
            else:
                self.notify(_("No program to open it with: saved to {file}.").format(file=path))

        self.tix.background(job, then=done)

    def action_export(self) -> None:
        """Ask for a file name and write the document there as an Excel sheet."""
        found = self.selected()
        if found is None:
            return
        backend, number = self.tix.backend, found.number
        dialog = FormDialog(
            _("Export {number}").format(number=number),
            [
                FormField(
                    "path",
                    _("Excel file"),
                    value=str(Path(default_save_folder()) / f"{number}.xlsx"),
                    required=True,
                    check=check_workbook_path,
                )
            ],
            submit_label=_("Export"),
        )

        def filled(values: dict[str, Any] | None) -> None:
            if not values:
                return
            path = values["path"]

            def done(written: Path) -> None:
                self.notify(_("Wrote {number} to {file}.").format(number=number, file=written))

            self.tix.background(lambda: backend.export_document(number, path), then=done)

        self.app.push_screen(dialog, filled)

    def action_ticket(self) -> None:
        found = self.selected()
        if found is not None:
            self.tix.open_ticket(found.ticket)

    def action_back(self) -> None:
        self.dismiss()
